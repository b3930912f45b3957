"""Rows tests write directly: runs and step records in states no public path would leave them
in at once (a finished run with its steps, a run of a chosen slot), for reads to be tested."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cronwright import domain
from cronwright.store import contracts
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import rows
from cronwright.store.database.schema import RunStepRow
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
