"""The workers' side of the ``runs`` table: claim, heartbeat, finish, reap, cancel, release.

Schedulers write ``pending`` runs; workers claim them here, run them with no transaction open, and
finish them. Every method is one short transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cronwright import domain, errors
from cronwright.domain import schedule as schedule_defaults
from cronwright.planning import backoff
from cronwright.store import (
    claiming,
    definitions,
    dialect,
    origins,
    rows,
    types,
    wakeups,
    write_gate,
)
from cronwright.store.models import (
    RunRow,
    RunStepRow,
    ScheduleRow,
    WorkerRow,
    WorkflowRow,
)

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=30)
LEASE_STEP = "_lease"  # the run_steps name under which a reaped attempt records its lease expiry
_RUNNING = domain.RunState.RUNNING.value
_PENDING = domain.RunState.PENDING.value
_ATTEMPT_FAILURES = frozenset({domain.RunState.FAILED, domain.RunState.TIMED_OUT})


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedRun:
    """A run now ``running`` for the claiming worker, with what it needs to execute it."""

    run: domain.Run
    definition: domain.WorkflowDefinition
    timeout: timedelta  # for the whole attempt; the schedule's, or the default for manual runs
    origin: domain.RunOrigin | None = None  # the schedule version that made it, if any

    @property
    def id(self) -> domain.RunId:
        return self.run.id

    @property
    def attempt(self) -> int:
        return self.run.attempt


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """How one attempt ended: ``succeeded``, ``failed`` or ``timed_out``."""

    state: domain.RunState
    result: domain.JsonValue = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.state not in _ATTEMPT_FAILURES | {domain.RunState.SUCCEEDED}:
            raise ValueError(f"an attempt cannot end as {self.state.value}")

    @classmethod
    def succeeded(cls, result: domain.JsonValue = None) -> RunOutcome:
        return cls(state=domain.RunState.SUCCEEDED, result=result)

    @classmethod
    def failed(cls, error: str) -> RunOutcome:
        return cls(state=domain.RunState.FAILED, error=error)

    @classmethod
    def timed_out(cls, error: str) -> RunOutcome:
        return cls(state=domain.RunState.TIMED_OUT, error=error)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRecord:
    run_id: domain.RunId
    attempt: int
    name: str
    kind: str
    state: domain.RunState
    started_at: datetime | None
    finished_at: datetime | None
    output: domain.JsonValue = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish:
    """One ``finish`` call, for :meth:`RunQueue.finish_many` and :meth:`RunQueue.write_batch`."""

    run_id: domain.RunId
    worker_id: str
    attempt: int
    outcome: RunOutcome
    now: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSnapshot:
    """Counts for :class:`~cronwright.engine.stats.EngineStats`, read in one transaction."""

    runs_by_state: dict[domain.RunState, int]
    queue_depth: int  # pending and available now
    active_runs: int  # running
    dispatch_lags: tuple[timedelta, ...] = field(default=())  # first starts since ``since``


class RunQueue(Protocol):
    """The runs a worker may execute, with exactness guarantees across any number of processes.

    Invariants every implementation keeps:

    - **One owner per attempt.** A run is claimed by at most one worker at a time; claiming sets
      ``state = running``, ``worker_id``, ``attempt + 1``, ``started_at = now`` and
      ``lease_expires_at = now + lease``.
    - **Limits hold exactly, cluster-wide.** A claim never makes the number of ``running`` runs
      exceed an organization's ``max_concurrent_runs``, the global limit, or ``process_capacity``
      for the claiming worker; the schedule's overlap policy decides about its own siblings. The
      counts come from the ``runs`` table itself, under the ``limit_locks`` rows involved (locked
      in key order, so two claimers never deadlock).
    - **Fenced writes.** Heartbeat, finish and release only touch rows still ``running`` for
      that worker at that attempt: a worker that lost its lease (reaped, cancelled) changes
      nothing. A failed attempt with attempts left goes back to ``pending`` after a backoff;
      the last one ends ``failed`` or ``timed_out``.
    - **Nothing is lost to a dead worker.** A run whose lease expired is reaped by any process
      into a retry or a final failure, exactly as if the attempt had failed.
    - Each method is one transaction; none stays open while an action runs.
    """

    def register_worker(
        self,
        worker_id: str,
        *,
        host: str,
        pid: int,
        now: datetime,
        capabilities: domain.Capabilities | None = None,
    ) -> None:
        """Insert or refresh the worker's row in the registry, with what it can execute (None:
        anything)."""
        ...

    def unregister_worker(self, worker_id: str) -> None: ...

    def claim(
        self,
        worker_id: str,
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        limit: int,
        process_capacity: int | None = None,
        capabilities: domain.Capabilities | None = None,
        ahead: timedelta = timedelta(0),
        ahead_limit: int = 0,
    ) -> list[ClaimedRun]:
        """Claim up to ``limit`` pending runs with ``available_at <= now``, oldest first, and up
        to ``ahead_limit`` whose ``available_at`` is within ``ahead`` after ``now``: claimed
        ahead, to be started at their time (their ``started_at`` is that time). A run claimed
        ahead counts as running for every limit; only a run its overlap policy lets start now
        is claimed ahead (see :func:`cronwright.store.claiming.claim_runs`).

        With ``capabilities``, only runs whose every step the worker can execute: the others
        stay pending, untouched, for a worker that can (capability routing).

        Candidates are first judged: overlap (see :mod:`cronwright.planning.overlap`) may skip
        them, keep them waiting or cancel running siblings; misfire (see
        :mod:`cronwright.planning.misfire`) may mark them ``missed``. A run that would break a
        limit stays pending for a later claim. ``process_capacity`` caps this worker's own
        running runs, counted from the table.
        """
        ...

    def next_available_at(self, *, after: datetime) -> datetime | None:
        """The earliest ``available_at`` later than ``after`` of a pending run, or None: when a
        claim finds nothing, the worker sleeps until then rather than a whole poll interval."""
        ...

    def heartbeat(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        capabilities: domain.Capabilities | None = None,
        loops: domain.JsonValue = None,
    ) -> set[domain.RunId]:
        """Extend the leases of the runs still running for ``worker_id``, refresh its registry
        row (and its capabilities and loop health, when given), and return the ids it has lost
        (cancelled, reaped): their actions must stop."""
        ...

    def record_step(self, step: StepRecord) -> None:
        """Record one step of one attempt (idempotent per run, name and attempt)."""
        ...

    def finish(
        self,
        run_id: domain.RunId,
        *,
        worker_id: str,
        attempt: int,
        outcome: RunOutcome,
        now: datetime,
    ) -> domain.Run | None:
        """End an attempt, fenced on ``(worker_id, attempt, state = running)``; None if fenced
        out (the worker lost the run). Failure with attempts left: back to ``pending`` at
        ``now + backoff``, the error kept; after the last attempt: ``failed``/``timed_out``."""
        ...

    def record_steps(self, steps: Sequence[StepRecord]) -> None:
        """:meth:`record_step` for each, in one transaction."""
        ...

    def finish_many(self, finishes: Sequence[Finish]) -> list[domain.Run | None]:
        """:meth:`finish` for each, in one transaction, each fenced on its own; the results in
        the same order (None: fenced out). A second finish of the same attempt is fenced out."""
        ...

    def write_batch(
        self, steps: Sequence[StepRecord], finishes: Sequence[Finish]
    ) -> list[domain.Run | None]:
        """:meth:`record_steps` then :meth:`finish_many`, in one transaction (group commit)."""
        ...

    def release(
        self, worker_id: str, run_ids: Collection[domain.RunId], *, now: datetime
    ) -> list[domain.RunId]:
        """Give runs back (shutdown): ``pending`` again, available now (a run claimed ahead:
        at its time, as before), the attempt not consumed, the step records of that attempt
        deleted (its re-run records its own). Only rows still running for ``worker_id``; returns
        those released."""
        ...

    def reap_expired(self, *, now: datetime, limit: int = 100) -> list[domain.Run]:
        """Treat each running run whose lease expired before ``now`` as a failed attempt (its
        steps get a ``_lease`` record saying so): a retry, or the final failure."""
        ...

    def cancel(
        self,
        org_id: domain.OrganizationId,
        run_id: domain.RunId,
        *,
        now: datetime,
        reason: str = "cancelled",
    ) -> domain.Run:
        """Cancel a pending or running run of the organization (a running one's worker learns
        at its next heartbeat and stops the action). ``RunNotFound`` if not the organization's;
        ``Conflict`` if the run already ended."""
        ...

    def snapshot(self, *, now: datetime, since: datetime) -> QueueSnapshot: ...

    def live_workers(self, *, since: datetime) -> list[LiveWorker]:
        """The registered workers whose last heartbeat is not older than ``since``."""
        ...

    def explain_waiting(self, *, now: datetime, live_since: datetime) -> int:
        """Give pending runs due by ``now`` that no live worker can execute the reason why; take
        it off those one now can. How many runs were given a reason."""
        ...

    def waiting_in(self, org_id: domain.OrganizationId) -> list[WaitingRuns]:
        """The organization's pending runs given a reason by :meth:`explain_waiting`, counted by
        workflow and reason, most first."""
        ...


WAITING_REASON_PREFIX = "waiting for a worker that can run "
WAITING_REASON_SUFFIX = " (no live worker can)"
MAX_ROUTING_VERDICTS = 10_000  # workflow versions judged, kept per worker


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveWorker:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    capabilities: domain.Capabilities | None  # None: advertised nothing (runs anything)
    loops: domain.JsonValue  # its process's loop health at its last heartbeat


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingRuns:
    workflow_id: domain.WorkflowId
    reason: str
    count: int

    @property
    def missing(self) -> str:
        """What no live worker offers: ``step kind 'shell'``, ``python function 'save'``..."""
        return self.reason.removeprefix(WAITING_REASON_PREFIX).removesuffix(WAITING_REASON_SUFFIX)


class _Routing:
    """The workflow versions one set of capabilities cannot execute, learnt claim by claim
    (a version's definition never changes), so that their runs are left out of the next
    claims' candidates instead of filling their batches."""

    def __init__(
        self, capabilities: domain.Capabilities, cache: definitions.DefinitionCache
    ) -> None:
        self.capabilities = capabilities
        self._cache = cache
        self._lock = threading.Lock()
        self._known: set[claiming.Key] = set()
        self._verdicts: dict[claiming.Key, bool] = {}  # can run it? A version never changes.

    @property
    def known(self) -> list[claiming.Key]:
        with self._lock:
            return sorted(self._known)

    def unrunnable(
        self, connection: Connection, keys: Collection[claiming.Key]
    ) -> set[claiming.Key]:
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


def _waiting_reason(
    definition: domain.WorkflowDefinition, advertised: Sequence[domain.Capabilities | None]
) -> str | None:
    """Why no live worker takes runs of ``definition``; None when one can (or when none is
    live: then nothing is known of what would run it, and the late-slot alert speaks)."""
    if not advertised or any(c is None or c.can_run(definition) for c in advertised):
        return None
    closest = min((c.missing(definition) for c in advertised if c is not None), key=len, default=[])
    return f"{WAITING_REASON_PREFIX}{', '.join(closest)}{WAITING_REASON_SUFFIX}"


class SqlRunQueue:
    """:class:`RunQueue` over the SQL schema, for SQLite and PostgreSQL.

    PostgreSQL: candidates are locked with ``FOR UPDATE SKIP LOCKED`` (claimers never wait for
    each other's candidates), then the ``limit_locks`` rows they touch are locked in key order and
    the running runs counted. SQLite: every write transaction is ``BEGIN IMMEDIATE``, so claims
    are serialised by the database's single writer and the same code is exact.

    ``global_max_concurrent_runs`` (None: no global limit) caps running runs across every
    organization; ``unit_random`` is the random source of the retry backoff jitter.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        global_max_concurrent_runs: int | None = None,
        unit_random: backoff.UnitRandom = random.random,
        on_pending: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._global_limit = global_max_concurrent_runs
        self._unit_random = unit_random
        self._on_pending = on_pending
        self._definitions = definitions.DefinitionCache()
        self._origins = origins.OriginCache()
        self._routing: _Routing | None = None  # of the last capabilities claimed with
        # SQLite has one writer: this process's claim loop, group-commit writer and heartbeat
        # take turns here, woken as soon as the lock is free, instead of sleeping in SQLite's
        # busy handler (1, 2, 5, 10... ms) while the others write back to back.
        self._gate = write_gate.write_gate(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._gate, self._engine.connect() as connection:
            connection.execution_options(**dialect.WRITE)
            with connection.begin():
                yield connection

    # -- worker registry --------------------------------------------------------------------------

    def register_worker(
        self,
        worker_id: str,
        *,
        host: str,
        pid: int,
        now: datetime,
        capabilities: domain.Capabilities | None = None,
    ) -> None:
        advertised = None if capabilities is None else capabilities.to_json()
        values = {
            "id": worker_id,
            "host": host,
            "pid": pid,
            "started_at": now,
            "heartbeat_at": now,
            "capabilities": advertised,
        }
        statement = dialect.insert(WorkerRow, self._dialect).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"host": host, "pid": pid, "heartbeat_at": now, "capabilities": advertised},
        )
        with self._write() as connection:
            connection.execute(statement)

    def unregister_worker(self, worker_id: str) -> None:
        with self._write() as connection:
            connection.execute(sa.delete(WorkerRow).where(WorkerRow.id == worker_id))

    # -- claiming ---------------------------------------------------------------------------------

    def claim(
        self,
        worker_id: str,
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        limit: int,
        process_capacity: int | None = None,
        capabilities: domain.Capabilities | None = None,
        ahead: timedelta = timedelta(0),
        ahead_limit: int = 0,
    ) -> list[ClaimedRun]:
        if limit <= 0 and ahead_limit <= 0:
            return []
        routing = None if capabilities is None else self._routing_for(capabilities)
        with self._write() as connection:
            claimed = claiming.claim_runs(
                connection,
                global_limit=self._global_limit,
                worker_id=worker_id,
                now=now,
                lease=lease,
                limit=max(0, limit),
                process_capacity=process_capacity,
                unrunnable=None if routing is None else routing.unrunnable,
                known_unrunnable=() if routing is None else routing.known,
                ahead=ahead,
                ahead_limit=max(0, ahead_limit),
            )
            if not claimed:
                return []
            parsed = self._definitions.of(connection, {c.workflow_key for c in claimed})
            made_by = self._origins.of(
                connection, {c.version_id for c in claimed if c.version_id is not None}
            )
        return [
            ClaimedRun(
                run=claim.run(),
                definition=parsed[claim.workflow_key],
                timeout=schedule_defaults.DEFAULT_TIMEOUT
                if claim.timeout is None
                else claim.timeout,
                origin=None if claim.version_id is None else made_by[claim.version_id],
            )
            for claim in claimed
        ]

    def next_available_at(self, *, after: datetime) -> datetime | None:
        with self._engine.connect() as connection:
            found: datetime | None = connection.execute(
                _next_available(), {"b_after": after}
            ).scalar_one()
            return found

    def _routing_for(self, capabilities: domain.Capabilities) -> _Routing:
        routing = self._routing
        if routing is None or routing.capabilities != capabilities:
            routing = self._routing = _Routing(capabilities, self._definitions)
        return routing

    # -- capability routing -----------------------------------------------------------------------

    def live_workers(self, *, since: datetime) -> list[LiveWorker]:
        """The workers whose last heartbeat is not older than ``since``, oldest first."""
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(WorkerRow.__table__)
                .where(WorkerRow.heartbeat_at >= since)
                .order_by(WorkerRow.started_at, WorkerRow.id)
            ).all()
        return [
            LiveWorker(
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

    def waiting_for_workers(self) -> dict[str, int]:
        """Pending runs that wait for a worker able to execute them, counted by reason."""
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(RunRow.reason, sa.func.count())
                .where(
                    RunRow.state == _PENDING,
                    RunRow.reason.startswith(WAITING_REASON_PREFIX),
                )
                .group_by(RunRow.reason)
                .order_by(RunRow.reason)
            ).all()
        return {str(reason): int(count) for reason, count in found}

    def waiting_in(self, org_id: domain.OrganizationId) -> list[WaitingRuns]:
        with self._engine.connect() as connection:
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
            WaitingRuns(workflow_id=domain.WorkflowId(wid), reason=str(reason), count=int(count))
            for wid, reason, count in found
        ]
        return sorted(waiting, key=lambda w: (-w.count, w.workflow_id, w.reason))

    def explain_waiting(self, *, now: datetime, live_since: datetime) -> int:
        """Give each pending run due by ``now`` that no live worker (heartbeat since
        ``live_since``) can execute the reason it waits, and take that reason off runs a live
        worker can now execute. Returns how many runs were given a reason."""
        workers = self.live_workers(since=live_since)
        advertised = [worker.capabilities for worker in workers]
        with self._engine.connect() as connection:
            keys = [
                (row.workflow_id, row.version)
                for row in connection.execute(_waiting_workflows(), {"b_now": now})
            ]
            if not keys:
                return 0
            parsed = self._definitions.of(connection, keys)
            reasons: dict[int, str | None] = {}
            for key, definition in parsed.items():
                reasons[key[0]] = _waiting_reason(definition, advertised)
            if all(reason is None for reason in reasons.values()) and (
                connection.execute(_any_waiting_reason()).first() is None
            ):
                return 0  # nothing to mark, nothing to clear: no write lock taken
        marked = 0
        with self._write() as connection:
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

    # -- while running ----------------------------------------------------------------------------

    def heartbeat(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        capabilities: domain.Capabilities | None = None,
        loops: domain.JsonValue = None,
    ) -> set[domain.RunId]:
        refreshed: dict[str, Any] = {"heartbeat_at": now}
        if capabilities is not None:
            refreshed["capabilities"] = capabilities.to_json()
        if loops is not None:
            refreshed["loops"] = loops
        with self._write() as connection:
            connection.execute(
                sa.update(WorkerRow).where(WorkerRow.id == worker_id).values(refreshed)
            )
            if not run_ids:
                return set()
            kept = connection.execute(
                sa.update(RunRow)
                .where(
                    RunRow.id.in_(sorted(run_ids)),
                    RunRow.worker_id == worker_id,
                    RunRow.state == _RUNNING,
                )
                .values(lease_expires_at=now + lease)
                .returning(RunRow.id)
            ).scalars()
            return set(run_ids) - {domain.RunId(run_id) for run_id in kept}

    def record_step(self, step: StepRecord) -> None:
        self.record_steps([step])

    def record_steps(self, steps: Sequence[StepRecord]) -> None:
        if steps:
            with self._write() as connection:
                self._record_steps(connection, steps)

    def _record_steps(self, connection: Connection, steps: Sequence[StepRecord]) -> None:
        if self._dialect == "sqlite":
            # Converted here for the driver: SQLAlchemy's per-row parameter processing of an
            # executemany costs more CPU than SQLite's inserts.
            connection.exec_driver_sql(
                _SQLITE_STEP_INSERT,
                [
                    (
                        step.run_id,
                        step.name,
                        step.kind,
                        step.attempt,
                        step.state.value,
                        types.sqlite_instant(step.started_at),
                        types.sqlite_instant(step.finished_at),
                        types.sqlite_json(step.output),
                        step.error,
                    )
                    for step in steps
                ],
            )
            return
        connection.execute(
            _step_insert(self._dialect),
            [
                {
                    "run_id": step.run_id,
                    "name": step.name,
                    "kind": step.kind,
                    "attempt": step.attempt,
                    "state": step.state.value,
                    "started_at": step.started_at,
                    "finished_at": step.finished_at,
                    "output": step.output,
                    "error": step.error,
                }
                for step in steps
            ],
        )

    # -- ending an attempt ------------------------------------------------------------------------

    def finish(
        self,
        run_id: domain.RunId,
        *,
        worker_id: str,
        attempt: int,
        outcome: RunOutcome,
        now: datetime,
    ) -> domain.Run | None:
        [finished] = self.finish_many(
            [Finish(run_id=run_id, worker_id=worker_id, attempt=attempt, outcome=outcome, now=now)]
        )
        return finished

    def finish_many(self, finishes: Sequence[Finish]) -> list[domain.Run | None]:
        return self.write_batch((), finishes)

    def write_batch(
        self, steps: Sequence[StepRecord], finishes: Sequence[Finish]
    ) -> list[domain.Run | None]:
        if not steps and not finishes:
            return []
        with self._write() as connection:
            if steps:
                self._record_steps(connection, steps)
            finished = self._finish_in(connection, finishes) if finishes else []
        if any(run is not None and run.state is domain.RunState.PENDING for run in finished):
            self._signal()
        return finished

    def _finish_in(
        self, connection: Connection, finishes: Sequence[Finish]
    ) -> list[domain.Run | None]:
        """Each finish fenced on its own ``(worker_id, attempt, state = running)``, the rows
        locked (PostgreSQL) or the write lock held (SQLite) from the read to the writes."""
        ids = sorted({finish.run_id for finish in finishes})
        running = {row.id: row for row in self._running_rows(connection, ids)}
        results: list[domain.Run | None] = []
        succeeded: list[_Success] = []
        for finish in finishes:
            row = running.get(finish.run_id)
            if row is None or row.worker_id != finish.worker_id or row.attempt != finish.attempt:
                results.append(None)
                continue
            del running[finish.run_id]  # a second finish of this attempt is fenced out
            outcome, now = finish.outcome, finish.now
            if outcome.state is domain.RunState.SUCCEEDED:
                succeeded.append(_Success(row, outcome.result, now))
                results.append(_succeeded_run(row, outcome.result, now))
            else:
                assert outcome.error is not None
                values = self._after_failed_attempt(
                    connection, row, outcome.state, outcome.error, now
                )
                results.append(self._update(connection, row.id, values))
        if succeeded:
            self._write_successes(connection, succeeded)
        return results

    def _running_rows(self, connection: Connection, ids: Sequence[int]) -> list[_Running]:
        """The runs among ``ids`` still running (locked on PostgreSQL)."""
        if self._dialect == "sqlite":  # raw rows, converted here: see _record_steps
            found = connection.exec_driver_sql(_SQLITE_RUNNING_RUNS, (json.dumps(ids),))
            return [_Running.from_sqlite(row) for row in found]
        return [_Running(*row) for row in connection.execute(_running_runs(), {"b_ids": ids})]

    def _write_successes(self, connection: Connection, succeeded: Sequence[_Success]) -> None:
        if self._dialect == "sqlite":  # parameters converted here: see _record_steps
            connection.exec_driver_sql(
                _SQLITE_SUCCEEDED,
                [
                    (
                        types.sqlite_json(done.result),
                        types.sqlite_instant(done.now),
                        done.row.id,
                        done.row.worker_id,
                        done.row.attempt,
                    )
                    for done in succeeded
                ],
            )
            return
        connection.execute(
            _fenced_update(),
            [
                {
                    "b_id": done.row.id,
                    "b_worker": done.row.worker_id,
                    "b_attempt": done.row.attempt,
                    "result": done.result,
                    "finished_at": done.now,
                }
                for done in succeeded
            ],
        )

    def _after_failed_attempt(
        self,
        connection: Connection,
        row: _Attempt,
        state: domain.RunState,
        error: str,
        now: datetime,
    ) -> dict[str, Any]:
        """The column values after attempt ``row.attempt`` ended in ``state``: a retry after the
        schedule's backoff while attempts are left, else the final ``state``."""
        policy = self._backoff_policy(connection, row)
        what = "timed out" if state is domain.RunState.TIMED_OUT else "failed"
        common = {"error": error, "lease_expires_at": None}
        if policy.attempts_left(row.attempt):
            retry_at = now + policy.delay(row.attempt, self._unit_random)
            return common | {
                "state": _PENDING,
                "available_at": retry_at,
                "worker_id": None,
                "reason": (
                    f"attempt {row.attempt} of {policy.max_attempts} {what}; "
                    f"retrying at {retry_at.isoformat()}"
                ),
            }
        return common | {
            "state": state.value,
            "finished_at": now,
            "reason": f"{what} after {row.attempt} attempt{'s' if row.attempt > 1 else ''}",
        }

    def _backoff_policy(self, connection: Connection, row: _Attempt) -> backoff.BackoffPolicy:
        # The run keeps its own max_attempts (the schedule may have been edited since); the
        # delays follow the schedule's current policy, or the defaults for runs without one.
        found = None
        if row.schedule_id is not None:
            found = connection.execute(
                sa.select(
                    ScheduleRow.backoff_initial, ScheduleRow.backoff_factor, ScheduleRow.backoff_max
                ).where(ScheduleRow.id == row.schedule_id)
            ).one_or_none()
        if found is None:
            return backoff.BackoffPolicy(max_attempts=row.max_attempts)
        return backoff.BackoffPolicy(
            max_attempts=row.max_attempts,
            initial=found.backoff_initial,
            factor=found.backoff_factor,
            maximum=found.backoff_max,
        )

    def release(
        self, worker_id: str, run_ids: Collection[domain.RunId], *, now: datetime
    ) -> list[domain.RunId]:
        if not run_ids:
            return []
        with self._write() as connection:
            released = connection.execute(
                sa.update(RunRow)
                .where(
                    RunRow.id.in_(sorted(run_ids)),
                    RunRow.worker_id == worker_id,
                    RunRow.state == _RUNNING,
                )
                .values(
                    state=_PENDING,
                    attempt=RunRow.attempt - 1,
                    available_at=sa.case(
                        (RunRow.available_at > now, RunRow.available_at),
                        else_=sa.literal(now, RunRow.__table__.c.available_at.type),
                    ),
                    worker_id=None,
                    started_at=None,
                    lease_expires_at=None,
                    reason=f"released by worker {worker_id} at shutdown",
                )
                .returning(RunRow.id, RunRow.attempt)
            ).all()
            result = sorted(domain.RunId(row.id) for row in released)
            if result:
                # The attempt is given back and will run again under the same number: the
                # records of its steps go, so that the re-run's own are kept.
                connection.execute(
                    sa.delete(RunStepRow).where(
                        sa.tuple_(RunStepRow.run_id, RunStepRow.attempt).in_(
                            [(row.id, row.attempt + 1) for row in released]
                        )
                    )
                )
                self._notify(connection)
        if result:
            self._signal()
        return result

    def reap_expired(self, *, now: datetime, limit: int = 100) -> list[domain.Run]:
        # A read first: almost always nothing expired, and then no write lock is taken.
        with self._engine.connect() as connection:
            if connection.execute(_any_expired(), {"b_now": now}).first() is None:
                return []
        with self._write() as connection:
            expired = connection.execute(
                sa.select(RunRow.__table__)
                .where(RunRow.state == _RUNNING, RunRow.lease_expires_at < now)
                .order_by(RunRow.lease_expires_at, RunRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            reaped = []
            for row in expired:
                error = (
                    f"lease expired at {row.lease_expires_at.isoformat()}: "
                    f"worker {row.worker_id} stopped renewing it"
                )
                connection.execute(
                    dialect.insert(RunStepRow, self._dialect)
                    .values(
                        run_id=row.id,
                        name=LEASE_STEP,
                        kind="lease",
                        attempt=row.attempt,
                        state=domain.RunState.FAILED.value,
                        started_at=row.started_at,
                        finished_at=now,
                        output=None,
                        error=error,
                    )
                    .on_conflict_do_nothing(index_elements=["run_id", "name", "attempt"])
                )
                values = self._after_failed_attempt(
                    connection, row, domain.RunState.FAILED, error, now
                )
                reaped.append(self._update(connection, row.id, values))
        if any(run.state is domain.RunState.PENDING for run in reaped):
            self._signal()
        return reaped

    def cancel(
        self,
        org_id: domain.OrganizationId,
        run_id: domain.RunId,
        *,
        now: datetime,
        reason: str = "cancelled",
    ) -> domain.Run:
        with self._write() as connection:
            row = connection.execute(
                sa.select(RunRow.__table__)
                .where(RunRow.id == run_id, RunRow.org_id == org_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise errors.RunNotFound(run_id)
            if domain.RunState(row.state).is_terminal:
                raise errors.Conflict(f"run {run_id} already ended: {row.state}")
            return self._update(connection, row.id, claiming.cancelled_values(reason, now))

    # -- statistics -------------------------------------------------------------------------------

    def snapshot(self, *, now: datetime, since: datetime) -> QueueSnapshot:
        with self._engine.connect() as connection, connection.begin():
            by_state = {
                domain.RunState(state): count
                for state, count in connection.execute(
                    sa.select(RunRow.state, sa.func.count()).group_by(RunRow.state)
                )
            }
            depth = connection.execute(
                sa.select(sa.func.count()).where(
                    RunRow.state == _PENDING, RunRow.available_at <= now
                )
            ).scalar_one()
            starts = connection.execute(
                sa.select(RunRow.started_at, RunRow.scheduled_for).where(
                    RunRow.started_at >= since,
                    RunRow.attempt == 1,
                    RunRow.trigger == domain.Trigger.SCHEDULE.value,
                )
            )
            lags = tuple(
                started - scheduled for started, scheduled in starts if started is not None
            )
        return QueueSnapshot(
            runs_by_state=by_state,
            queue_depth=int(depth),
            active_runs=by_state.get(domain.RunState.RUNNING, 0),
            dispatch_lags=lags,
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _update(self, connection: Connection, run_id: int, values: dict[str, Any]) -> domain.Run:
        row = connection.execute(
            sa.update(RunRow)
            .where(RunRow.id == run_id)
            .values(values)
            .returning(*RunRow.__table__.columns)
        ).one()
        return _run(row)

    def _notify(self, connection: Connection) -> None:
        if self._dialect == "postgresql":
            connection.execute(sa.text(f"NOTIFY {wakeups.RUNS_CHANNEL}"))  # sent at commit

    def _signal(self) -> None:
        if self._on_pending is not None:
            try:
                self._on_pending()
            except Exception:  # a wake-up only cuts latency: never fail a commit over one
                log.exception("the pending-runs callback failed")


# Statements of the hot paths, built once.


@functools.cache
def _step_insert(dialect_name: str) -> Any:
    return dialect.insert(RunStepRow, dialect_name).on_conflict_do_nothing(
        index_elements=["run_id", "name", "attempt"]
    )


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


@functools.cache
def _next_available() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return sa.select(sa.func.min(runs.available_at)).where(
        runs.state == _PENDING,
        runs.available_at > sa.bindparam("b_after", type_=runs.available_at.type),
    )


class _Attempt(Protocol):
    """What deciding the outcome of a failed attempt reads of its run."""

    @property
    def schedule_id(self) -> int | None: ...
    @property
    def attempt(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...


class _Running(NamedTuple):
    """What finishing an attempt reads of a running run: the other columns are either set by
    the finish (success) or read back from the UPDATE (failure)."""

    id: int
    org_id: int
    schedule_id: int | None
    workflow_id: int
    schedule_version_id: int | None
    trigger: str
    scheduled_for: datetime
    available_at: datetime
    attempt: int
    max_attempts: int
    worker_id: str
    started_at: datetime | None
    input: domain.JsonObject
    created_at: datetime

    @classmethod
    def from_sqlite(cls, row: Sequence[Any]) -> _Running:
        """From the driver's row of :data:`_SQLITE_RUNNING_RUNS`, converted as the column types
        would."""
        (id_, org_id, schedule_id, workflow_id, version_id, trigger, scheduled_for) = row[:7]
        available_at, attempt, max_attempts, worker_id, started_at, input_, created_at = row[7:]
        return cls(
            id_,
            org_id,
            schedule_id,
            workflow_id,
            version_id,
            trigger,
            types.from_micros(scheduled_for),
            types.from_micros(available_at),
            attempt,
            max_attempts,
            worker_id,
            types.instant_from_db(started_at),
            types.sqlite_json_value(input_),
            types.from_micros(created_at),
        )


class _Success(NamedTuple):
    row: _Running
    result: domain.JsonValue
    now: datetime


@functools.cache
def _running_runs() -> sa.Select[Any]:
    runs = RunRow.__table__
    return (
        sa.select(*(runs.c[name] for name in _Running._fields))
        .where(runs.c.id.in_(sa.bindparam("b_ids", expanding=True)), runs.c.state == _RUNNING)
        .order_by(runs.c.id)
        .with_for_update()
    )


@functools.cache
def _fenced_update() -> sa.Update:
    """A success, fenced: ``result`` and ``finished_at`` bound per run."""
    runs = RunRow.__table__.c
    return (
        sa.update(RunRow)
        .where(
            runs.id == sa.bindparam("b_id"),
            runs.worker_id == sa.bindparam("b_worker"),
            runs.attempt == sa.bindparam("b_attempt"),
            runs.state == _RUNNING,
        )
        .values(
            state=domain.RunState.SUCCEEDED.value,
            result=sa.bindparam("result", type_=runs.result.type),
            error=None,
            reason=None,
            finished_at=sa.bindparam("finished_at", type_=runs.finished_at.type),
            lease_expires_at=None,
        )
    )


def _succeeded_run(row: _Running, result: domain.JsonValue, now: datetime) -> domain.Run:
    """A running run as the fenced update leaves it after a success."""
    return rows.run_with(
        row,
        state=domain.RunState.SUCCEEDED,
        reason=None,
        attempt=row.attempt,
        worker_id=row.worker_id,
        lease_expires_at=None,
        started_at=row.started_at,
        finished_at=now,
        result=result,
        error=None,
    )


# The same statements for SQLite, written for the driver (``?`` parameters, converted by the
# callers with the column types' conversions): on the hottest paths SQLAlchemy's per-row
# parameter and result processing costs more CPU than SQLite itself.
_SQLITE_STEP_INSERT = (
    "INSERT INTO run_steps"
    " (run_id, name, kind, attempt, state, started_at, finished_at, output, error)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (run_id, name, attempt) DO NOTHING"
)
_SQLITE_RUNNING_RUNS = (
    'SELECT id, org_id, schedule_id, workflow_id, schedule_version_id, "trigger",'
    " scheduled_for, available_at, attempt, max_attempts, worker_id, started_at, input,"
    " created_at"
    " FROM runs WHERE id IN (SELECT value FROM json_each(?))"  # one statement for any count
    f" AND +state = '{_RUNNING}' ORDER BY id"  # ``+``: by primary key, not the state index
)
_SQLITE_SUCCEEDED = (
    f"UPDATE runs SET state = '{domain.RunState.SUCCEEDED.value}', result = ?, error = NULL,"
    " reason = NULL, finished_at = ?, lease_expires_at = NULL"
    f" WHERE id = ? AND worker_id = ? AND attempt = ? AND state = '{_RUNNING}'"
)


def _run(row: Any) -> domain.Run:
    """A domain run from a Core row of ``runs`` (the same columns as the ORM row)."""
    return rows.run(row)


@functools.cache
def _any_expired() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return (
        sa.select(runs.id)
        .where(runs.state == _RUNNING, runs.lease_expires_at < sa.bindparam("b_now"))
        .limit(1)
    )
