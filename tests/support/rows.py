"""Rows tests write or read directly: runs and step records in states no public path would
leave them in at once (a finished run with its steps, a run of a chosen slot), and the recorded
attempts of alert deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cronwright import domain
from cronwright.store import contracts
from cronwright.store.alerts import alert_ledger
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import rows
from cronwright.store.database.schema import AlertAttemptRow, RunStepRow
from cronwright.store.slots import slot_ledger


def add_run(store: contracts.Catalog, run: domain.NewRun) -> domain.Run | None:
    """Insert ``run``; None if its slot already has one."""
    assert isinstance(store, sql_catalog.SqlCatalog)
    inserted = slot_ledger.SqlSlotLedger(store.engine).add_runs([run])
    return inserted.runs[0] if inserted.runs else None


def add_run_step(
    store: contracts.Catalog,
    *,
    run_id: domain.RunId,
    name: str,
    kind: str,
    attempt: int,
    state: domain.RunState,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    output: domain.JsonValue = None,
    error: str | None = None,
) -> domain.RunStep:
    assert isinstance(store, sql_catalog.SqlCatalog)
    row = RunStepRow(
        run_id=run_id,
        name=name,
        kind=kind,
        attempt=attempt,
        state=state.value,
        started_at=started_at,
        finished_at=finished_at,
        output=output,
        error=error,
    )
    with Session(store.engine) as session, session.begin():
        session.add(row)
        session.flush()
        return rows.run_step(row)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    """One recorded attempt of an alert delivery."""

    delivery_id: int
    attempt: int
    started_at: datetime
    finished_at: datetime
    delivered: bool
    error: str | None


def delivery_attempts(ledger: contracts.AlertLedger, delivery_id: int) -> list[AttemptRecord]:
    """The recorded attempts of one delivery, in order."""
    assert isinstance(ledger, alert_ledger.SqlAlertLedger)
    query = (
        sa.select(AlertAttemptRow.__table__)
        .where(AlertAttemptRow.delivery_id == delivery_id)
        .order_by(AlertAttemptRow.attempt)
    )
    with ledger.engine.connect() as connection:
        return [
            AttemptRecord(
                delivery_id=row.delivery_id,
                attempt=row.attempt,
                started_at=row.started_at,
                finished_at=row.finished_at,
                delivered=row.delivered,
                error=row.error,
            )
            for row in connection.execute(query)
        ]
