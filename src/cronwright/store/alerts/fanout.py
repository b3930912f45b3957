"""Fan-out: one delivery per alert and subscribed channel, within each schedule's rate limit;
alerts over the limit become suppressions counted by one summary delivery per window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.domain import alert_channel
from cronwright.planning import alerts as planning
from cronwright.store.database import dialect
from cronwright.store.database.schema import AlertChannelRow, AlertDeliveryRow, AlertSuppressionRow

_CHUNK = 500
MAX_LISTED_IDS = 100  # a summary names this many of the alerts it counts
_PENDING = domain.AlertDeliveryState.PENDING.value


class Fanout:
    """Turns alerts into deliveries for every enabled channel of the organization subscribed to
    the event, within the rate limit; the excess becomes suppressions behind one summary."""

    def __init__(
        self, connection: Connection, dialect_name: str, now: datetime, rate: planning.RateLimit
    ) -> None:
        self._connection = connection
        self._dialect = dialect_name
        self._now = now
        self._rate = rate
        self._window_start = rate.window_start(now)

    def add(self, found: Sequence[planning.Alert]) -> tuple[int, int]:
        if not found:
            return 0, 0
        channels = self._channels({alert.org_id for alert in found})
        targets = [
            (alert, channel)
            for alert in found
            for channel in channels.get(alert.org_id, ())
            if alert.event in channel.events
        ]
        if not targets:
            return 0, 0
        known = self._known({(c.id, a.dedup_key) for a, c in targets})
        sent = self._sent_in_window({a.schedule_id for a, _ in targets if a.schedule_id})
        enqueued = 0
        held_back: list[tuple[planning.Alert, int]] = []
        for alert, channel in targets:
            if (channel.id, alert.dedup_key) in known:
                continue
            known.add((channel.id, alert.dedup_key))
            if alert.schedule_id is None or self._rate.admits(sent[channel.id, alert.schedule_id]):
                enqueued += self._deliver(alert, channel.id)
                sent[channel.id, alert.schedule_id] += 1
            else:
                held_back.append((alert, channel.id))
        return enqueued, self._suppress(held_back)

    def _channels(self, org_ids: set[int]) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        query = sa.select(AlertChannelRow.__table__).where(
            AlertChannelRow.org_id.in_(sorted(org_ids)), AlertChannelRow.enabled.is_(True)
        )
        for row in self._connection.execute(query.order_by(AlertChannelRow.id)):
            found.setdefault(row.org_id, []).append(row)
        return found

    def _known(self, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (channel, key) pairs already have a delivery or a suppression."""
        keys = sorted({key for _, key in pairs})
        channel_ids = sorted({channel for channel, _ in pairs})
        known: set[tuple[int, str]] = set()
        for table in (AlertDeliveryRow, AlertSuppressionRow):
            for start in range(0, len(keys), _CHUNK):
                query = sa.select(table.channel_id, table.dedup_key).where(
                    table.channel_id.in_(channel_ids),
                    table.dedup_key.in_(keys[start : start + _CHUNK]),
                )
                known.update(
                    (row.channel_id, row.dedup_key) for row in self._connection.execute(query)
                )
        return known

    def _sent_in_window(self, schedule_ids: set[int]) -> Counter[tuple[int, int | None]]:
        sent: Counter[tuple[int, int | None]] = Counter()
        if not schedule_ids:
            return sent
        query = (
            sa.select(AlertDeliveryRow.channel_id, AlertDeliveryRow.schedule_id, sa.func.count())
            .where(
                AlertDeliveryRow.schedule_id.in_(sorted(schedule_ids)),
                AlertDeliveryRow.created_at >= self._window_start,
                AlertDeliveryRow.event.in_(sorted(alert_channel.ALERT_EVENTS)),
            )
            .group_by(AlertDeliveryRow.channel_id, AlertDeliveryRow.schedule_id)
        )
        for channel_id, schedule_id, count in self._connection.execute(query):
            sent[channel_id, schedule_id] = count
        return sent

    def _deliver(self, alert: planning.Alert, channel_id: int) -> int:
        inserted = self._connection.execute(
            dialect.insert(AlertDeliveryRow, self._dialect)
            .values(
                org_id=alert.org_id,
                channel_id=channel_id,
                run_id=alert.run_id,
                schedule_id=alert.schedule_id,
                event=alert.event,
                dedup_key=alert.dedup_key,
                payload=alert.payload(),
                state=_PENDING,
                attempts=0,
                next_attempt_at=self._now,
                created_at=self._now,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "dedup_key"])
            .returning(AlertDeliveryRow.id)
        ).first()
        return 0 if inserted is None else 1

    def _suppress(self, held_back: Sequence[tuple[planning.Alert, int]]) -> int:
        """Record the alerts over the limit (in bulk: a flood is when this matters) behind one
        summary per channel and schedule; how many were new."""
        summaries: dict[tuple[int, int], int] = {}
        rows = []
        for alert, channel_id in held_back:
            assert alert.schedule_id is not None
            group = (channel_id, alert.schedule_id)
            if group not in summaries:
                summaries[group] = self._summary(alert, channel_id)
            rows.append(
                {
                    "channel_id": channel_id,
                    "dedup_key": alert.dedup_key,
                    "event": alert.event,
                    "coalesced_into": summaries[group],
                    "created_at": self._now,
                }
            )
        inserted = 0
        for start in range(0, len(rows), _CHUNK):
            statement = (
                dialect.insert(AlertSuppressionRow, self._dialect)
                .values(rows[start : start + _CHUNK])
                .on_conflict_do_nothing(index_elements=["channel_id", "dedup_key"])
                .returning(AlertSuppressionRow.id)
            )
            inserted += len(self._connection.execute(statement).all())
        return inserted

    def _summary(self, alert: planning.Alert, channel_id: int) -> int:
        """The id of this window's summary delivery for the alert's schedule and channel; it
        goes out when the window ends and counts, then, everything the window held back."""
        assert alert.rate_key is not None
        assert alert.schedule_id is not None
        key = planning.coalesced_key(alert.rate_key, self._window_start)
        base = planning.coalesced_payload(
            alert.org_id, alert.schedule_id, self._rate, window_start=self._window_start
        )
        self._connection.execute(
            dialect.insert(AlertDeliveryRow, self._dialect)
            .values(
                org_id=alert.org_id,
                channel_id=channel_id,
                schedule_id=alert.schedule_id,
                event=planning.COALESCED,
                dedup_key=key,
                payload=base,
                state=_PENDING,
                attempts=0,
                next_attempt_at=self._rate.window_end(self._now),
                created_at=self._now,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "dedup_key"])
        )
        found: int = self._connection.execute(
            sa.select(AlertDeliveryRow.id).where(
                AlertDeliveryRow.channel_id == channel_id, AlertDeliveryRow.dedup_key == key
            )
        ).scalar_one()
        return found


def with_suppressed(connection: Connection, row: Any) -> domain.JsonObject:
    """A summary delivery's payload with the alerts it stands for, counted now."""
    suppressed = connection.execute(
        sa.select(AlertSuppressionRow.event, AlertSuppressionRow.dedup_key)
        .where(AlertSuppressionRow.coalesced_into == row.id)
        .order_by(AlertSuppressionRow.id)
    ).all()
    payload = dict(row.payload)
    details = dict(payload.get("details") or {})
    events = Counter(event for event, _ in suppressed)
    details |= {
        "count": len(suppressed),
        "events": dict(events),
        "alert_ids": [key for _, key in suppressed[:MAX_LISTED_IDS]],
    }
    payload["details"] = details
    payload["summary"] = (
        f"schedule {row.schedule_id}: {len(suppressed)} more alert(s) held back by the rate limit"
    )
    return payload
