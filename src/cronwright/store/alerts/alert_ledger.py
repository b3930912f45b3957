"""Alerts on the SQL schema: find what calls for an alert, queue one delivery per channel, hand
due deliveries to senders and record how each attempt went.

Facts come from the tables every process already writes (``runs``, ``schedules``), read by
polling: nothing in the workers' or schedulers' paths knows alerts exist.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cronwright import domain, errors
from cronwright.domain import alert_channel
from cronwright.planning import alerts as planning
from cronwright.store import contracts
from cronwright.store.alerts import facts, fanout
from cronwright.store.database import dialect, write_gate
from cronwright.store.database.schema import (
    AlertAttemptRow,
    AlertChannelRow,
    AlertDeliveryRow,
    AlertScanRow,
)

log = logging.getLogger(__name__)

SCAN_CURSOR = "alerts"
_CHUNK = 500  # ids per IN list: under SQLite's limit of bound parameters
_PENDING = domain.AlertDeliveryState.PENDING.value
_DELIVERED = domain.AlertDeliveryState.DELIVERED.value
_FAILED = domain.AlertDeliveryState.FAILED.value
_SCANNED_STATES = [s.value for s in (*planning.OUTCOMES, domain.RunState.MISSED)]


class SqlAlertLedger:
    """:class:`AlertLedger` over the SQL schema, for SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    @property
    def engine(self) -> Engine:
        return self._engine

    def _write(self) -> AbstractContextManager[Connection]:
        return write_gate.write_transaction(self._engine)

    # -- scanning ---------------------------------------------------------------------------------

    def scan(
        self,
        *,
        now: datetime,
        rate: planning.RateLimit,
        overlap: timedelta = contracts.DEFAULT_OVERLAP,
        max_lookback: timedelta = contracts.DEFAULT_MAX_LOOKBACK,
    ) -> domain.ScanReport | None:
        with self._write() as connection:
            # The first scan of a database looks back as far as any scan may.
            cursor = self._lock_cursor(connection, now - max_lookback)
            if cursor is None:
                return None
            since = max(cursor - overlap, now - max_lookback)
            finished = facts.finished_runs(connection, since, now)
            previous = facts.previous_outcomes(
                connection,
                {r.schedule_id for r in finished if r.state is domain.RunState.SUCCEEDED},
                before=since,
            )
            late = [
                *facts.missed_slots(connection, since, now),
                *facts.unwritten_slots(connection, now),
                *facts.waiting_slots(connection, now),
            ]
            found = planning.alerts_for(finished, previous, late, now=now)
            enqueued, coalesced = fanout.Fanout(connection, self._dialect, now, rate).add(found)
            connection.execute(
                sa.update(AlertScanRow)
                .where(AlertScanRow.name == SCAN_CURSOR)
                .values(scanned_until=max(cursor, now))
            )
        return domain.ScanReport(
            since=since, until=now, alerts=len(found), enqueued=enqueued, coalesced=coalesced
        )

    def _lock_cursor(self, connection: Connection, start: datetime) -> datetime | None:
        """Lock the cursor row and return it; None if another scan holds it."""
        locked = (
            sa.select(AlertScanRow.scanned_until)
            .where(AlertScanRow.name == SCAN_CURSOR)
            .with_for_update(skip_locked=True)
        )
        found: datetime | None = connection.execute(locked).scalar_one_or_none()
        if found is not None:
            return found
        exists = sa.select(AlertScanRow.name).where(AlertScanRow.name == SCAN_CURSOR)
        if connection.execute(exists).first() is not None:
            return None  # locked by a scan in progress
        connection.execute(
            dialect.insert(AlertScanRow, self._dialect)
            .values(name=SCAN_CURSOR, scanned_until=start)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return connection.execute(locked).scalar_one_or_none()

    # -- delivering -------------------------------------------------------------------------------

    def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[domain.OutgoingDelivery]:
        if limit <= 0:
            return []
        oldest_due = (
            sa.select(AlertDeliveryRow.id)
            .where(AlertDeliveryRow.state == _PENDING, AlertDeliveryRow.next_attempt_at <= now)
            .order_by(AlertDeliveryRow.next_attempt_at, AlertDeliveryRow.id)
        )
        with self._engine.connect() as connection:  # a read first: usually nothing is due
            if connection.execute(oldest_due.limit(1)).first() is None:
                return []
        due = oldest_due.limit(limit).with_for_update(skip_locked=True)
        claimed = []
        with self._write() as connection:
            for delivery_id in connection.execute(due).scalars().all():
                outgoing = self._claim(connection, delivery_id, now + lease)
                if outgoing is not None:
                    claimed.append(outgoing)
        return claimed

    def _claim(
        self,
        connection: Connection,
        delivery_id: int,
        lease_until: datetime,
        *,
        require_enabled: bool = True,
    ) -> domain.OutgoingDelivery | None:
        row = connection.execute(
            sa.update(AlertDeliveryRow)
            .where(AlertDeliveryRow.id == delivery_id)
            .values(attempts=AlertDeliveryRow.attempts + 1, next_attempt_at=lease_until)
            .returning(*AlertDeliveryRow.__table__.columns)
        ).one()
        channel = connection.execute(
            sa.select(AlertChannelRow.__table__).where(AlertChannelRow.id == row.channel_id)
        ).one()
        if require_enabled and not channel.enabled:
            # Queued before the channel was switched off: say why it never went out.
            connection.execute(
                sa.update(AlertDeliveryRow)
                .where(AlertDeliveryRow.id == delivery_id)
                .values(state=_FAILED, attempts=row.attempts - 1, last_error="channel disabled")
            )
            return None
        payload = row.payload
        if row.event == planning.COALESCED:
            payload = fanout.with_suppressed(connection, row)
            connection.execute(
                sa.update(AlertDeliveryRow)
                .where(AlertDeliveryRow.id == delivery_id)
                .values(payload=payload)
            )
        return domain.OutgoingDelivery(
            id=row.id,
            org_id=domain.OrganizationId(row.org_id),
            channel_id=alert_channel.AlertChannelId(row.channel_id),
            kind=domain.AlertChannelKind(channel.kind),
            target=channel.target,
            secret=channel.secret,
            event=row.event,
            payload=payload,
            attempt=row.attempts,
        )

    def add_test(
        self,
        org_id: domain.OrganizationId,
        channel_id: alert_channel.AlertChannelId,
        *,
        now: datetime,
        lease: timedelta,
    ) -> domain.OutgoingDelivery:
        key = f"test:{uuid.uuid4().hex}"
        with self._write() as connection:
            name = connection.execute(
                sa.select(AlertChannelRow.name).where(
                    AlertChannelRow.id == channel_id, AlertChannelRow.org_id == org_id
                )
            ).scalar_one_or_none()
            if name is None:
                raise errors.AlertChannelNotFound(channel_id)
            payload: domain.JsonObject = {
                "id": key,
                "event": planning.TEST,
                "occurred_at": now.isoformat(),
                "organization_id": org_id,
                "schedule_id": None,
                "run_id": None,
                "summary": f"test alert for channel {name!r}: delivery works",
                "details": {},
            }
            delivery_id = connection.execute(
                sa.insert(AlertDeliveryRow)
                .values(
                    org_id=org_id,
                    channel_id=channel_id,
                    event=planning.TEST,
                    dedup_key=key,
                    payload=payload,
                    state=_PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .returning(AlertDeliveryRow.id)
            ).scalar_one()
            # A disabled channel can still be tested: that is how one checks it before enabling.
            outgoing = self._claim(connection, delivery_id, now + lease, require_enabled=False)
        assert outgoing is not None
        return outgoing

    def record_attempt(
        self,
        delivery: domain.OutgoingDelivery,
        *,
        started_at: datetime,
        now: datetime,
        error: str | None,
        policy: planning.DeliveryPolicy,
    ) -> domain.DeliveryRecord | None:
        values: dict[str, Any]
        if error is None:
            values = {"state": _DELIVERED, "delivered_at": now, "last_error": None}
        else:
            retry_at = policy.next_attempt_at(delivery.attempt, now)
            values = {"last_error": error}
            values |= {"state": _FAILED} if retry_at is None else {"next_attempt_at": retry_at}
        with self._write() as connection:
            connection.execute(
                dialect.insert(AlertAttemptRow, self._dialect)
                .values(
                    delivery_id=delivery.id,
                    attempt=delivery.attempt,
                    started_at=started_at,
                    finished_at=now,
                    delivered=error is None,
                    error=error,
                )
                .on_conflict_do_nothing(index_elements=["delivery_id", "attempt"])
            )
            row = connection.execute(
                sa.update(AlertDeliveryRow)
                .where(
                    AlertDeliveryRow.id == delivery.id,
                    AlertDeliveryRow.attempts == delivery.attempt,
                    AlertDeliveryRow.state == _PENDING,
                )
                .values(values)
                .returning(*AlertDeliveryRow.__table__.columns)
            ).one_or_none()
        return None if row is None else _record(row)

    def prune(self, *, created_before: datetime, limit: int = 1000) -> int:
        old = (
            sa.select(AlertDeliveryRow.id)
            .where(
                AlertDeliveryRow.state.in_([_DELIVERED, _FAILED]),
                AlertDeliveryRow.created_at < created_before,
            )
            .order_by(AlertDeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._write() as connection:
            ids = connection.execute(old).scalars().all()
            if not ids:
                return 0
            # Attempts and suppressions go by ON DELETE CASCADE.
            connection.execute(sa.delete(AlertDeliveryRow).where(AlertDeliveryRow.id.in_(ids)))
        return len(ids)

    # -- reading ----------------------------------------------------------------------------------

    def deliveries(
        self,
        org_id: domain.OrganizationId,
        *,
        channel_id: alert_channel.AlertChannelId | None = None,
    ) -> list[domain.DeliveryRecord]:
        query = sa.select(AlertDeliveryRow.__table__).where(AlertDeliveryRow.org_id == org_id)
        if channel_id is not None:
            query = query.where(AlertDeliveryRow.channel_id == channel_id)
        with self._engine.connect() as connection:
            return [_record(row) for row in connection.execute(query.order_by(AlertDeliveryRow.id))]


def _record(row: Any) -> domain.DeliveryRecord:
    return domain.DeliveryRecord(
        id=row.id,
        channel_id=alert_channel.AlertChannelId(row.channel_id),
        schedule_id=None if row.schedule_id is None else domain.ScheduleId(row.schedule_id),
        run_id=None if row.run_id is None else domain.RunId(row.run_id),
        event=row.event,
        dedup_key=row.dedup_key,
        payload=row.payload,
        state=domain.AlertDeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )
