"""Capability routing: which runs no live worker can execute, and why.

A worker that advertises capabilities claims only runs whose every step it can execute; the
others stay pending. These helpers learn which workflow versions a worker cannot run (so their
runs stop filling its claims' batches) and mark the pending runs that wait for a worker no
live one is, with the capability that is missing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.domain import run_records
from cronwright.store.database.schema import RunRow, WorkerRow, WorkflowRow
from cronwright.store.run_queue import definitions

Key = definitions.Key  # (workflow id, version)

WAITING_REASON_PREFIX = run_records.WAITING_REASON_PREFIX
MAX_ROUTING_VERDICTS = 10_000  # workflow versions judged, kept per worker
_PENDING = domain.RunState.PENDING.value


class Routing:
    """The workflow versions one set of capabilities cannot execute, learnt claim by claim
    (a version's definition never changes), so that their runs are left out of the next
    claims' candidates instead of filling their batches."""

    def __init__(
        self, capabilities: domain.Capabilities, cache: definitions.DefinitionCache
    ) -> None:
        self.capabilities = capabilities
        self._cache = cache
        self._lock = threading.Lock()
        self._known: set[Key] = set()
        self._verdicts: dict[Key, bool] = {}  # can run it? A version never changes.

    @property
    def known(self) -> list[Key]:
        with self._lock:
            return sorted(self._known)

    def unrunnable(self, connection: Connection, keys: Collection[Key]) -> set[Key]:
        with self._lock:
            unknown = [key for key in keys if key not in self._verdicts]
        if unknown:
            parsed = self._cache.of(connection, unknown)
            with self._lock:
                if len(self._verdicts) > MAX_ROUTING_VERDICTS:
                    self._verdicts.clear()
                for key, definition in parsed.items():
                    self._verdicts[key] = self.capabilities.can_run(definition)
        with self._lock:
            found = {key for key in keys if not self._verdicts.get(key, True)}
            self._known |= found
        return found


def live_workers(connection: Connection, *, since: datetime) -> list[domain.LiveWorker]:
    """The workers whose last heartbeat is not older than ``since``, oldest first."""
    found = connection.execute(
        sa.select(WorkerRow.__table__)
        .where(WorkerRow.heartbeat_at >= since)
        .order_by(WorkerRow.started_at, WorkerRow.id)
    ).all()
    return [
        domain.LiveWorker(
            id=row.id,
            host=row.host,
            pid=row.pid,
            started_at=row.started_at,
            heartbeat_at=row.heartbeat_at,
            capabilities=domain.Capabilities.from_json(row.capabilities),
            loops=row.loops,
        )
        for row in found
    ]


def waiting_counts(connection: Connection) -> dict[str, int]:
    """Pending runs that wait for a worker able to execute them, counted by reason."""
    found = connection.execute(
        sa.select(RunRow.reason, sa.func.count())
        .where(RunRow.state == _PENDING, RunRow.reason.startswith(WAITING_REASON_PREFIX))
        .group_by(RunRow.reason)
        .order_by(RunRow.reason)
    ).all()
    return {str(reason): int(count) for reason, count in found}


def waiting_in(connection: Connection, org_id: domain.OrganizationId) -> list[domain.WaitingRuns]:
    """The organization's pending runs that wait for a worker able to execute them, counted by
    workflow and reason, most first."""
    found = connection.execute(
        sa.select(RunRow.workflow_id, RunRow.reason, sa.func.count())
        .where(
            RunRow.org_id == org_id,
            RunRow.state == _PENDING,
            RunRow.reason.startswith(WAITING_REASON_PREFIX),
        )
        .group_by(RunRow.workflow_id, RunRow.reason)
    ).all()
    waiting = [
        domain.WaitingRuns(workflow_id=domain.WorkflowId(wid), reason=str(reason), count=int(n))
        for wid, reason, n in found
    ]
    return sorted(waiting, key=lambda w: (-w.count, w.workflow_id, w.reason))


def waiting_reasons(
    connection: Connection,
    cache: definitions.DefinitionCache,
    advertised: Sequence[domain.Capabilities | None],
    *,
    now: datetime,
) -> dict[int, str | None] | None:
    """The reason each workflow with pending runs due by ``now`` waits (None: a live worker
    can run it), by workflow id; None when there is nothing to mark and nothing to clear."""
    keys = [
        (row.workflow_id, row.version)
        for row in connection.execute(_waiting_workflows(), {"b_now": now})
    ]
    if not keys:
        return None
    reasons = {
        key[0]: waiting_reason(definition, advertised)
        for key, definition in cache.of(connection, keys).items()
    }
    if all(reason is None for reason in reasons.values()) and (
        connection.execute(_any_waiting_reason()).first() is None
    ):
        return None
    return reasons


def mark_waiting(connection: Connection, reasons: dict[int, str | None], *, now: datetime) -> int:
    """Write ``reasons`` on the pending runs due by ``now`` (None: take a waiting reason off);
    how many runs were given a reason."""
    marked = 0
    for workflow_id, reason in sorted(reasons.items()):
        due = sa.and_(
            RunRow.workflow_id == workflow_id,
            RunRow.state == _PENDING,
            RunRow.available_at <= now,
        )
        if reason is None:
            connection.execute(
                sa.update(RunRow)
                .where(due, RunRow.reason.startswith(WAITING_REASON_PREFIX))
                .values(reason=None)
            )
            continue
        done = connection.execute(
            sa.update(RunRow)
            .where(due, sa.or_(RunRow.reason.is_(None), RunRow.reason != reason))
            .values(reason=reason)
        )
        marked += done.rowcount
    return marked


def waiting_reason(
    definition: domain.WorkflowDefinition, advertised: Sequence[domain.Capabilities | None]
) -> str | None:
    """Why no live worker takes runs of ``definition``; None when one can (or when none is
    live: then nothing is known of what would run it, and the late-slot alert speaks)."""
    if not advertised or any(c is None or c.can_run(definition) for c in advertised):
        return None
    closest = min((c.missing(definition) for c in advertised if c is not None), key=len, default=[])
    return f"{WAITING_REASON_PREFIX}{', '.join(closest)}{run_records.WAITING_REASON_SUFFIX}"


@functools.cache
def _any_waiting_reason() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return (
        sa.select(runs.id)
        .where(runs.state == _PENDING, runs.reason.startswith(WAITING_REASON_PREFIX))
        .limit(1)
    )


@functools.cache
def _waiting_workflows() -> Any:
    """The (workflow, version) pairs of the pending runs due now."""
    return (
        sa.select(RunRow.workflow_id, WorkflowRow.version)
        .join(WorkflowRow, WorkflowRow.id == RunRow.workflow_id)
        .where(RunRow.state == _PENDING, RunRow.available_at <= sa.bindparam("b_now"))
        .distinct()
    )
