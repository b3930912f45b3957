"""The workers' side of the ``runs`` table: claim, heartbeat, finish, reap, cancel, release.

Schedulers write ``pending`` runs; workers claim them here, run them with no transaction open, and
finish them. Every method is one short transaction.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cronwright import domain, errors
from cronwright.domain import schedule as schedule_defaults
from cronwright.planning import backoff
from cronwright.store import contracts
from cronwright.store.database import dialect, write_gate
from cronwright.store.database.schema import (
    RunRow,
    RunStepRow,
    WorkerRow,
)
from cronwright.store.run_queue import (
    claiming,
    definitions,
    finishing,
    origins,
    routing,
    wakeups,
)

log = logging.getLogger(__name__)

LEASE_STEP = "_lease"  # the run_steps name under which a reaped attempt records its lease expiry
_RUNNING = domain.RunState.RUNNING.value
_PENDING = domain.RunState.PENDING.value


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
        self._global_limit = global_max_concurrent_runs
        self._capabilities = dialect.capabilities_of(engine)
        self._attempts = finishing.AttemptEnds(engine.dialect, unit_random)
        self._on_pending = on_pending
        self._definitions = definitions.DefinitionCache()
        self._origins = origins.OriginCache()
        self._routing: routing.Routing | None = None  # of the last capabilities claimed with
        # SQLite has one writer: this process's claim loop, group-commit writer and heartbeat
        # take turns here, woken as soon as the lock is free, instead of sleeping in SQLite's
        # busy handler (1, 2, 5, 10... ms) while the others write back to back.

    @property
    def engine(self) -> Engine:
        return self._engine

    def _write(self) -> AbstractContextManager[Connection]:
        return write_gate.write_transaction(self._engine)

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
        statement = dialect.insert(WorkerRow, self._engine.dialect.name).values(values)
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
        lease: timedelta = contracts.DEFAULT_LEASE,
        limit: int,
        process_capacity: int | None = None,
        capabilities: domain.Capabilities | None = None,
        ahead: timedelta = timedelta(0),
        ahead_limit: int = 0,
    ) -> list[domain.ClaimedRun]:
        if limit <= 0 and ahead_limit <= 0:
            return []
        routed = None if capabilities is None else self._routing_for(capabilities)
        with self._write() as connection:
            claimed = claiming.claim_runs(
                connection,
                global_limit=self._global_limit,
                worker_id=worker_id,
                now=now,
                lease=lease,
                limit=max(0, limit),
                process_capacity=process_capacity,
                unrunnable=None if routed is None else routed.unrunnable,
                known_unrunnable=() if routed is None else routed.known,
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
            domain.ClaimedRun(
                run=claim.run(),
                definition=parsed[claim.workflow_key],
                timeout=schedule_defaults.DEFAULT_TIMEOUT
                if claim.timeout is None
                else claim.timeout,
                origin=None if claim.version_id is None else made_by[claim.version_id],
                misfire_grace=claim.misfire_grace,
            )
            for claim in claimed
        ]

    def next_available_at(self, *, after: datetime) -> datetime | None:
        with self._engine.connect() as connection:
            found: datetime | None = connection.execute(
                _next_available(), {"b_after": after}
            ).scalar_one()
            return found

    def pending_within(self, *, since: datetime, until: datetime) -> int:
        with self._engine.connect() as connection:
            counted: int = connection.execute(
                _pending_within(), {"b_since": since, "b_until": until}
            ).scalar_one()
            return counted

    def _routing_for(self, capabilities: domain.Capabilities) -> routing.Routing:
        known = self._routing
        if known is None or known.capabilities != capabilities:
            known = self._routing = routing.Routing(capabilities, self._definitions)
        return known

    # -- capability routing -----------------------------------------------------------------------

    def live_workers(self, *, since: datetime) -> list[domain.LiveWorker]:
        with self._engine.connect() as connection:
            return routing.live_workers(connection, since=since)

    def waiting_for_workers(self) -> dict[str, int]:
        """Pending runs that wait for a worker able to execute them, counted by reason."""
        with self._engine.connect() as connection:
            return routing.waiting_counts(connection)

    def waiting_in(self, org_id: domain.OrganizationId) -> list[domain.WaitingRuns]:
        with self._engine.connect() as connection:
            return routing.waiting_in(connection, org_id)

    def explain_waiting(self, *, now: datetime, live_since: datetime) -> int:
        advertised = [worker.capabilities for worker in self.live_workers(since=live_since)]
        with self._engine.connect() as connection:
            reasons = routing.waiting_reasons(connection, self._definitions, advertised, now=now)
        if reasons is None:
            return 0  # nothing to mark, nothing to clear: no write lock taken
        with self._write() as connection:
            return routing.mark_waiting(connection, reasons, now=now)

    # -- while running ----------------------------------------------------------------------------

    def heartbeat(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        lease: timedelta = contracts.DEFAULT_LEASE,
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

    def record_step(self, step: domain.StepRecord) -> None:
        self.write_batch([step], ())

    # -- ending an attempt ------------------------------------------------------------------------

    def finish(
        self,
        run_id: domain.RunId,
        *,
        worker_id: str,
        attempt: int,
        outcome: domain.RunOutcome,
        now: datetime,
        started_at: datetime | None = None,
    ) -> domain.Run | None:
        [finished] = self.write_batch(
            (),
            [
                domain.Finish(
                    run_id=run_id,
                    worker_id=worker_id,
                    attempt=attempt,
                    outcome=outcome,
                    now=now,
                    started_at=started_at,
                )
            ],
        )
        return finished

    def write_batch(
        self, steps: Sequence[domain.StepRecord], finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        if not steps and not finishes:
            return []
        with self._write() as connection:
            if steps:
                self._attempts.record_steps(connection, steps)
            finished = self._attempts.finish(connection, finishes) if finishes else []
        if any(run is not None and run.state is domain.RunState.PENDING for run in finished):
            self._signal()
        return finished

    def release(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        keep_time: bool = False,
    ) -> list[domain.RunId]:
        if not run_ids:
            return []
        available_at: Any = RunRow.available_at
        if not keep_time:
            available_at = sa.case(
                (RunRow.available_at > now, RunRow.available_at),
                else_=sa.literal(now, RunRow.__table__.c.available_at.type),
            )
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
                    available_at=available_at,
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
                    dialect.insert(RunStepRow, self._engine.dialect.name)
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
                values = self._attempts.after_failed_attempt(
                    connection, row, domain.RunState.FAILED, error, now
                )
                reaped.append(finishing.update_run(connection, row.id, values))
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
            return finishing.update_run(connection, row.id, claiming.cancelled_values(reason, now))

    # -- statistics -------------------------------------------------------------------------------

    def snapshot(self, *, now: datetime, since: datetime) -> domain.QueueSnapshot:
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
        return domain.QueueSnapshot(
            runs_by_state=by_state,
            queue_depth=int(depth),
            active_runs=by_state.get(domain.RunState.RUNNING, 0),
            dispatch_lags=lags,
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _notify(self, connection: Connection) -> None:
        if self._capabilities.notifications:
            connection.execute(sa.text(f"NOTIFY {wakeups.RUNS_CHANNEL}"))  # sent at commit

    def _signal(self) -> None:
        if self._on_pending is not None:
            try:
                self._on_pending()
            except Exception:  # a wake-up only cuts latency: never fail a commit over one
                log.exception("the pending-runs callback failed")


# Statements of the hot paths, built once.


@functools.cache
def _next_available() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return sa.select(sa.func.min(runs.available_at)).where(
        runs.state == _PENDING,
        runs.available_at > sa.bindparam("b_after", type_=runs.available_at.type),
    )


@functools.cache
def _pending_within() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return sa.select(sa.func.count()).where(  # the claim index: (state, available_at, id)
        runs.state == _PENDING,
        runs.available_at.between(
            sa.bindparam("b_since", type_=runs.available_at.type),
            sa.bindparam("b_until", type_=runs.available_at.type),
        ),
    )


@functools.cache
def _any_expired() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    return (
        sa.select(runs.id)
        .where(runs.state == _RUNNING, runs.lease_expires_at < sa.bindparam("b_now"))
        .limit(1)
    )
