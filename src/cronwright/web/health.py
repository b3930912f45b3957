"""What the overview says about execution: the organization's runs that wait for a worker able
to execute them (and what none offers), the workers with their last heartbeat, stale ones
marked, and the health of this process's loops. Hosts, process ids and loop errors describe the
deployment, not the organization: only admins see them; others see how many workers are live
and how many loops fail.

Workers and their loops come from the workers' registry rows (as ``cronwright status`` reads
them); the waiting runs are those the reapers gave a reason (``SqlRunQueue.explain_waiting``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cronwright import domain
from cronwright.engine import loop
from cronwright.store import contracts
from cronwright.web import run_list

STALE_AFTER = timedelta(seconds=60)  # no heartbeat for longer: stale (as `cronwright status`)
SHOWN_FOR = timedelta(days=1)  # a worker silent for longer is no longer listed


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopRow:
    name: str
    state: str  # ok, failing, stalled, stopped
    failures: int
    last_error: str | None
    last_success_at: str | None  # as reported (ISO), or None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerRow:
    id: str
    host: str
    pid: int
    heartbeat_at: datetime
    silent_for: timedelta
    stale: bool
    can_run: str
    loops: list[LoopRow]


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    workflow_id: domain.WorkflowId
    workflow_name: str
    missing: str  # what no live worker offers
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    waiting: list[Waiting]
    workers: list[WorkerRow]
    own_loops: list[LoopRow]  # this process's; empty when it runs none
    detailed: bool = False  # hosts, pids, loop errors: for admins only

    @property
    def failing_loops(self) -> int:
        """Loops not ``ok`` among live workers' and this process's own."""
        reported = [row for w in self.workers if not w.stale for row in w.loops] + self.own_loops
        return sum(1 for row in reported if row.state != "ok")

    @property
    def stale_workers(self) -> int:
        return sum(1 for w in self.workers if w.stale)

    @property
    def waiting_runs(self) -> int:
        return sum(w.count for w in self.waiting)

    @property
    def live_workers(self) -> int:
        return sum(1 for w in self.workers if not w.stale)


def can_run(capabilities: domain.Capabilities | None) -> str:
    if capabilities is None:
        return "anything"
    kinds = ", ".join(sorted(capabilities.kinds)) or "nothing"
    functions = sorted(capabilities.python_functions)
    return kinds + (f"; python: {', '.join(functions)}" if functions else "")


def reported_loops(raw: Any) -> list[LoopRow]:
    """A worker row's loop report (JSON written by another process: read defensively)."""
    items = raw if isinstance(raw, list) else []
    return [
        LoopRow(
            name=str(item.get("name", "?")),
            state=str(item.get("state", "?")),
            failures=int(item.get("failures") or 0),
            last_error=None if item.get("last_error") is None else str(item["last_error"]),
            last_success_at=None
            if item.get("last_success_at") is None
            else str(item["last_success_at"]),
        )
        for item in items
        if isinstance(item, dict)
    ]


def own_loops(health: Sequence[loop.LoopHealth]) -> list[LoopRow]:
    return [
        LoopRow(
            name=h.name,
            state=h.state.value,
            failures=h.failures,
            last_error=h.last_error,
            last_success_at=None if h.last_success_at is None else h.last_success_at.isoformat(),
        )
        for h in health
    ]


def workers(found: Sequence[domain.LiveWorker], *, now: datetime) -> list[WorkerRow]:
    return [
        WorkerRow(
            id=w.id,
            host=w.host,
            pid=w.pid,
            heartbeat_at=w.heartbeat_at,
            silent_for=max(timedelta(0), now - w.heartbeat_at),
            stale=now - w.heartbeat_at > STALE_AFTER,
            can_run=can_run(w.capabilities),
            loops=reported_loops(w.loops),
        )
        for w in sorted(found, key=lambda w: (w.heartbeat_at, w.id), reverse=True)
    ]


def execution(
    queue: contracts.RunQueue | None,
    loops: Sequence[loop.LoopHealth],
    names: run_list.Names,
    org_id: domain.OrganizationId,
    *,
    now: datetime,
    detailed: bool,
) -> Execution:
    if queue is None:  # a dashboard mounted without the run queue knows no workers
        return Execution(waiting=[], workers=[], own_loops=own_loops(loops), detailed=detailed)
    waiting = [
        Waiting(
            workflow_id=w.workflow_id,
            workflow_name=names.workflow(w.workflow_id),
            missing=w.missing,
            count=w.count,
        )
        for w in queue.waiting_in(org_id)
    ]
    return Execution(
        waiting=waiting,
        workers=workers(queue.live_workers(since=now - SHOWN_FOR), now=now),
        own_loops=own_loops(loops),
        detailed=detailed,
    )
