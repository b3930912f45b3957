"""One claim transaction: choose candidates, lock the limits they touch, decide each one.

Used by ``SqlRunQueue.claim``; the guarantees are stated on ``RunQueue`` in
:mod:`cronwright.store.run_queue.sql_queue`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.planning import misfire, overlap
from cronwright.store.database import dialect, rows
from cronwright.store.database.schema import (
    LimitLockRow,
    OrganizationRow,
    RunRow,
    ScheduleRow,
    WorkflowRow,
)

GLOBAL_LIMIT_KEY = "global"
MAX_EXCLUDED_WORKFLOWS = 32
_RUNNING = domain.RunState.RUNNING.value
_PENDING = domain.RunState.PENDING.value


@dataclass(frozen=True, slots=True)
class Claimed:
    """A run this transaction started: its candidate row and what the start set. The domain
    run is built by :meth:`run` after the commit, outside the write lock."""

    row: sa.Row[Any]
    worker_id: str
    started_at: datetime
    lease_until: datetime

    @property
    def workflow_key(self) -> tuple[int, int]:
        """(workflow id, version) of the definition the run will execute."""
        return self.row.workflow_id, self.row.w_version

    @property
    def version_id(self) -> int | None:
        """The schedule version that made the run; None for a run of a bare workflow."""
        version_id: int | None = self.row.schedule_version_id
        return version_id

    @property
    def timeout(self) -> timedelta | None:
        """Its schedule's attempt timeout; None for a run without a schedule."""
        timeout: timedelta | None = self.row.s_timeout
        return timeout

    @property
    def misfire_grace(self) -> timedelta | None:
        """Its schedule's misfire grace; None for a run without a schedule."""
        grace: timedelta | None = self.row.s_misfire_grace
        return grace

    def run(self) -> domain.Run:
        """The run as the start left it: the columns it set, the rest as read."""
        row = self.row
        return rows.run_with(
            row,
            state=domain.RunState.RUNNING,
            reason=None,
            attempt=row.attempt + 1,
            worker_id=self.worker_id,
            lease_expires_at=self.lease_until,
            started_at=self.started_at,
            finished_at=row.finished_at,
            result=row.result,
            error=row.error,
        )


@dataclass(frozen=True, slots=True)
class _Schedule:
    id: int
    policy: domain.OverlapPolicy
    misfire_grace: timedelta


Key = tuple[int, int]  # (workflow id, version)
# Of the given workflow versions, those the claiming worker cannot execute.
Unrunnable = Callable[[Connection, Collection[Key]], set[Key]]


def claim_runs(
    connection: Connection,
    *,
    global_limit: int | None,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    process_capacity: int | None,
    unrunnable: Unrunnable | None = None,
    known_unrunnable: Collection[Key] = (),
    ahead: timedelta = timedelta(0),
    ahead_limit: int = 0,
) -> list[Claimed]:
    """Claim inside the caller's write transaction; returns the claimed runs in order.

    ``limit`` runs available now, and up to ``ahead_limit`` more whose ``available_at`` is
    within ``ahead`` of ``now`` (claimed ahead: see :meth:`_Claim.run`).

    Capability routing: runs of workflow versions in ``known_unrunnable`` are not even read, and
    ``unrunnable`` (None: the worker runs anything) sorts out the rest: those runs stay pending,
    untouched, for a worker that can execute them."""
    claim = _Claim(connection, global_limit, worker_id, now, lease, ahead if ahead_limit else None)
    return claim.run(
        limit=limit,
        process_capacity=process_capacity,
        unrunnable=unrunnable,
        known_unrunnable=known_unrunnable,
        ahead_limit=ahead_limit,
    )


def cancelled_values(reason: str, now: datetime) -> dict[str, Any]:
    """The columns of a run being cancelled."""
    return {
        "state": domain.RunState.CANCELLED.value,
        "reason": reason,
        "finished_at": now,
        "lease_expires_at": None,
    }


class _Claim:
    """One claim transaction: pick candidates, lock the limits they touch, decide each one."""

    def __init__(
        self,
        connection: Connection,
        global_limit: int | None,
        worker_id: str,
        now: datetime,
        lease: timedelta,
        ahead: timedelta | None = None,
    ) -> None:
        self.connection = connection
        self.dialect_name = connection.dialect.name
        self.global_limit = global_limit
        self.worker_id = worker_id
        self.now = now
        self.until = now + (ahead or timedelta(0))  # the latest available_at claimed
        self.lease = lease

    def run(
        self,
        *,
        limit: int,
        process_capacity: int | None,
        unrunnable: Unrunnable | None = None,
        known_unrunnable: Collection[Key] = (),
        ahead_limit: int = 0,
    ) -> list[Claimed]:
        """Judge the candidates in order and start those that may start.

        A run claimed ahead (``available_at`` after ``now``, within the horizon) is held by the
        worker until its time: the start written here is its planned one (``started_at`` =
        ``available_at``), and it counts as running against every limit from now on, so limits
        stay exact (at worst a held run makes another wait a little earlier than it must). Only
        a run free to start now is claimed ahead: one that its overlap policy would skip, keep
        waiting or let cancel a running sibling stays pending, judged at its time like any
        other; misfire cannot apply before its time."""
        # One grouped count gives the running runs per organization and this worker's own. On
        # SQLite the write lock is already held (BEGIN IMMEDIATE), so these counts are exact; on
        # PostgreSQL they are a first look, made exact under the limit locks below.
        running_by_org, mine = self._running()
        room = limit + ahead_limit
        if process_capacity is not None:
            room = min(room, process_capacity - mine)
        if room <= 0:
            return []
        if self.global_limit is not None and sum(running_by_org.values()) >= self.global_limit:
            return []
        # Skip organizations already full, so a backlog of one never hides another's runs.
        org_limits = dict(self._org_limits(running_by_org))
        full_orgs = [
            org_id for org_id, maximum in org_limits.items() if running_by_org[org_id] >= maximum
        ]
        # A margin for runs that are skipped, missed or kept waiting instead of claimed.
        candidates = self._candidates(
            batch=room + max(10, room // 4),
            exclude_orgs=full_orgs,
            exclude_workflows=sorted(known_unrunnable),
            ahead_only=limit <= 0,
        )
        if unrunnable is not None and candidates:
            keys = {(row.workflow_id, row.w_version) for row in candidates}
            cannot = unrunnable(self.connection, keys)
            if cannot:
                candidates = [
                    row for row in candidates if (row.workflow_id, row.w_version) not in cannot
                ]
        if not candidates:
            return []
        unknown = {c.org_id for c in candidates} - org_limits.keys()
        if unknown:
            org_limits.update(self._org_limits(unknown))
        schedules = _schedules(candidates)
        if self.dialect_name != "sqlite":
            self._lock_limits(candidates, schedules)
            running_by_org, _ = self._running()  # exact, now that no other claimer can move them
        running_total = sum(running_by_org.values())
        siblings = self._siblings(schedules)
        claimed: list[sa.Row[Any]] = []
        now_count = early_count = 0
        for row in candidates:
            early = row.available_at > self.now
            if (early_count if early else now_count) >= (ahead_limit if early else limit):
                continue
            schedule = schedules.get(row.schedule_id)
            decision = overlap.RUN
            # ``allow`` runs whatever its siblings do: no need to decide, nor to track them.
            if schedule is not None and schedule.policy is not domain.OverlapPolicy.ALLOW:
                decision = overlap.decide(
                    schedule.policy,
                    overlap.Candidate(id=row.id, scheduled_for=row.scheduled_for),
                    siblings[schedule.id],
                    now=self.now,
                )
            if decision.verdict is overlap.Verdict.WAIT:
                continue
            if early and (decision.verdict is not overlap.Verdict.RUN or decision.cancel):
                continue  # judged at its time, against the siblings of then
            if decision.verdict is overlap.Verdict.SKIP:
                assert decision.reason is not None
                self._end(row.id, domain.RunState.SKIPPED, decision.reason)
                _forget(siblings, row)
                continue
            missed = None if early else self._missed_reason(row, schedule)
            if missed is not None:
                self._end(row.id, domain.RunState.MISSED, missed)
                _forget(siblings, row)
                continue
            if self.global_limit is not None and running_total >= self.global_limit:
                break
            if running_by_org[row.org_id] >= org_limits[row.org_id]:
                continue  # stays pending; this organization is full
            for cancelled_id in decision.cancel:
                if self._cancel_running(cancelled_id, row.id):
                    running_by_org[row.org_id] -= 1
                    running_total -= 1
                    siblings[row.schedule_id] = [
                        s for s in siblings[row.schedule_id] if s.id != cancelled_id
                    ]
            claimed.append(row)
            if early:
                early_count += 1
            else:
                now_count += 1
            running_by_org[row.org_id] += 1
            running_total += 1
            if row.schedule_id is not None and row.schedule_id in siblings:
                siblings[row.schedule_id] = [
                    s for s in siblings[row.schedule_id] if s.id != row.id
                ] + [_sibling(row, state=domain.RunState.RUNNING, attempt=row.attempt + 1)]
            if len(claimed) >= room:
                break
        return self._start(claimed)

    # -- reads ------------------------------------------------------------------------------------

    def _running(self) -> tuple[Counter[int], int]:
        """Running runs per organization, and how many of them are this worker's."""
        by_org: Counter[int] = Counter()
        own = 0
        rows = self.connection.execute(_running_statement(), {"b_worker": self.worker_id})
        for org_id, count, of_mine in rows:
            by_org[org_id] = count
            own += of_mine
        return by_org, own

    def _org_limits(self, org_ids: Iterable[int]) -> list[tuple[int, int]]:
        ids = sorted(org_ids)
        if not ids:
            return []
        rows = self.connection.execute(_org_limits_statement(), {"b_ids": ids})
        return [(org_id, maximum) for org_id, maximum in rows]

    def _candidates(
        self,
        *,
        batch: int,
        exclude_orgs: Sequence[int],
        exclude_workflows: Sequence[Key],
        ahead_only: bool = False,
    ) -> list[sa.Row[Any]]:
        """Pending runs that may start, oldest first, with their schedule's claim settings
        (``s_*``, None for runs without a schedule)."""
        parameters: dict[str, Any] = {"b_until": self.until, "b_batch": batch}
        if exclude_orgs:
            parameters["b_exclude"] = list(exclude_orgs)
        excluded = exclude_workflows[:MAX_EXCLUDED_WORKFLOWS]  # the rest: sorted out after
        for n, (workflow_id, version) in enumerate(excluded):
            parameters[f"b_wf{n}"] = workflow_id
            parameters[f"b_wv{n}"] = version
        if ahead_only:
            parameters["b_after"] = self.now
        query = _candidates_statement(
            exclude=bool(exclude_orgs), exclude_workflows=len(excluded), ahead_only=ahead_only
        )
        return list(self.connection.execute(query, parameters).all())

    def _siblings(
        self, schedules: dict[int | None, _Schedule]
    ) -> dict[int | None, list[overlap.Sibling]]:
        """The pending and running runs of the candidates' schedules whose policy looks at them
        (every policy but ``allow``), by schedule."""
        watched = [
            schedule_id
            for schedule_id, schedule in schedules.items()
            if schedule.policy is not domain.OverlapPolicy.ALLOW
        ]
        found: dict[int | None, list[overlap.Sibling]] = {
            schedule_id: [] for schedule_id in watched
        }
        if watched:
            query = sa.select(
                RunRow.id,
                RunRow.schedule_id,
                RunRow.state,
                RunRow.scheduled_for,
                RunRow.available_at,
                RunRow.attempt,
                RunRow.lease_expires_at,
            ).where(RunRow.schedule_id.in_(watched), RunRow.state.in_([_PENDING, _RUNNING]))
            for row in self.connection.execute(query):
                found[row.schedule_id].append(_sibling(row))
        return found

    def _missed_reason(self, row: sa.Row[Any], schedule: _Schedule | None) -> str | None:
        if schedule is None:
            return None
        policy = schedule.policy
        previous_finished_at = None
        if policy in (domain.OverlapPolicy.BUFFER_ONE, domain.OverlapPolicy.BUFFER_ALL):
            previous_finished_at = self.connection.execute(
                sa.select(sa.func.max(RunRow.finished_at)).where(
                    RunRow.schedule_id == row.schedule_id,
                    RunRow.id != row.id,
                    RunRow.started_at.is_not(None),
                )
            ).scalar_one()
        since = misfire.runnable_since(
            available_at=row.available_at, overlap=policy, previous_finished_at=previous_finished_at
        )
        return misfire.missed_reason(
            trigger=domain.Trigger(row.trigger),
            attempt=row.attempt,
            runnable_at=since,
            grace=schedule.misfire_grace,
            now=self.now,
        )

    # -- locks and writes -------------------------------------------------------------------------

    def _lock_limits(
        self, candidates: Sequence[sa.Row[Any]], schedules: dict[int | None, _Schedule]
    ) -> None:
        """Lock every limit the candidates touch, in key order (the same order for every
        claimer, so no two of them can wait for each other in a cycle)."""
        keys = {f"org:{row.org_id}" for row in candidates}
        keys |= {
            f"schedule:{schedule_id}"
            for schedule_id, schedule in schedules.items()
            if schedule.policy is not domain.OverlapPolicy.ALLOW
        }
        if self.global_limit is not None:
            keys.add(GLOBAL_LIMIT_KEY)
        for key in sorted(keys):  # one statement each, in order: concurrent first inserts queue up
            self.connection.execute(
                dialect.insert(LimitLockRow, self.dialect_name)
                .values(key=key)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        self.connection.execute(
            sa.select(LimitLockRow.key)
            .where(LimitLockRow.key.in_(sorted(keys)))
            .order_by(LimitLockRow.key)
            .with_for_update()
        ).all()

    def _start(self, rows: Sequence[sa.Row[Any]]) -> list[Claimed]:
        """Start the chosen runs with one UPDATE; their new columns without reading them back."""
        if not rows:
            return []
        lease_until = self.now + self.lease
        self.connection.execute(
            _start_statement(),
            {
                "b_ids": [row.id for row in rows],
                "b_worker": self.worker_id,
                "b_now": self.now,
                "b_lease_until": lease_until,
            },
        )
        return [
            Claimed(row, self.worker_id, max(self.now, row.available_at), lease_until)
            for row in rows
        ]

    def _end(self, run_id: int, state: domain.RunState, reason: str) -> None:
        self.connection.execute(
            sa.update(RunRow)
            .where(RunRow.id == run_id)
            .values(state=state.value, reason=reason, finished_at=self.now)
        )

    def _cancel_running(self, run_id: int, by_run_id: int) -> bool:
        reason = f"cancelled by run {by_run_id} (overlap policy cancel_previous)"
        done = self.connection.execute(
            sa.update(RunRow)
            .where(RunRow.id == run_id, RunRow.state == _RUNNING)
            .values(cancelled_values(reason, self.now))
        )
        return bool(done.rowcount)


def _schedules(candidates: Sequence[sa.Row[Any]]) -> dict[int | None, _Schedule]:
    return {
        row.schedule_id: _Schedule(
            row.schedule_id, domain.OverlapPolicy(row.s_overlap), row.s_misfire_grace
        )
        for row in candidates
        if row.schedule_id is not None and row.s_overlap is not None
    }


# The claim's statements, built once (building them costs more than running them).


@functools.cache
def _running_statement() -> sa.Select[Any]:
    runs = RunRow.__table__.c
    mine = sa.func.count().filter(runs.worker_id == sa.bindparam("b_worker"))
    return (
        sa.select(runs.org_id, sa.func.count(), mine)
        .where(runs.state == _RUNNING)
        .group_by(runs.org_id)
    )


@functools.cache
def _org_limits_statement() -> sa.Select[Any]:
    organizations = OrganizationRow.__table__.c
    return sa.select(organizations.id, organizations.max_concurrent_runs).where(
        organizations.id.in_(sa.bindparam("b_ids", expanding=True))
    )


# What a candidate needs read: :meth:`_Claim._start` sets the other columns of ``runs``.
_CANDIDATE_COLUMNS = (
    "id",
    "org_id",
    "schedule_id",
    "workflow_id",
    "schedule_version_id",
    "trigger",
    "scheduled_for",
    "available_at",
    "attempt",
    "max_attempts",
    "finished_at",
    "input",
    "result",
    "error",
    "created_at",
)


@functools.cache
def _candidates_statement(
    *, exclude: bool, exclude_workflows: int = 0, ahead_only: bool = False
) -> sa.Select[Any]:
    runs = RunRow.__table__
    query = (
        sa.select(
            *(runs.c[name] for name in _CANDIDATE_COLUMNS),
            ScheduleRow.overlap.label("s_overlap"),
            ScheduleRow.misfire_grace.label("s_misfire_grace"),
            ScheduleRow.timeout.label("s_timeout"),
            WorkflowRow.version.label("w_version"),
        )
        .outerjoin(ScheduleRow, ScheduleRow.id == runs.c.schedule_id)
        .join(WorkflowRow, WorkflowRow.id == runs.c.workflow_id)
        .where(
            runs.c.state == _PENDING,
            runs.c.available_at <= sa.bindparam("b_until"),
            ~_waits_in_buffer_all(),
        )
        .order_by(runs.c.available_at, runs.c.id)
        .limit(sa.bindparam("b_batch", type_=sa.Integer))
        .with_for_update(skip_locked=True, of=runs)
    )
    if exclude:
        query = query.where(runs.c.org_id.not_in(sa.bindparam("b_exclude", expanding=True)))
    if exclude_workflows:
        # Workflow versions this worker cannot execute: their runs never fill its batch. One
        # bound pair per version (a statement per count, cached; the count is tiny).
        query = query.where(
            sa.not_(
                sa.or_(
                    *(
                        sa.and_(
                            runs.c.workflow_id == sa.bindparam(f"b_wf{n}"),
                            WorkflowRow.version == sa.bindparam(f"b_wv{n}"),
                        )
                        for n in range(exclude_workflows)
                    )
                )
            )
        )
    if ahead_only:  # no room for runs due now: only those claimed ahead
        query = query.where(runs.c.available_at > sa.bindparam("b_after"))
    return query


@functools.cache
def _start_statement() -> sa.Update:
    runs = RunRow.__table__.c
    return (
        sa.update(RunRow)
        .where(runs.id.in_(sa.bindparam("b_ids", expanding=True)))
        .values(
            state=_RUNNING,
            worker_id=sa.bindparam("b_worker", type_=runs.worker_id.type),
            attempt=runs.attempt + 1,
            # A run claimed ahead starts at its time: its planned start.
            started_at=sa.case(
                (
                    runs.available_at > sa.bindparam("b_now", type_=runs.started_at.type),
                    runs.available_at,
                ),
                else_=sa.bindparam("b_now", type_=runs.started_at.type),
            ),
            lease_expires_at=sa.bindparam("b_lease_until", type_=runs.lease_expires_at.type),
            reason=None,
        )
    )


def _waits_in_buffer_all() -> sa.ColumnElement[bool]:
    """Pending runs of ``buffer_all`` schedules that must wait for a sibling: left out of the
    candidates so that a long backlog never hides other runs from the claim.

    The policy is read from the candidate's joined ``schedules`` row: a ``schedule_id IN (SELECT
    ... WHERE overlap = 'buffer_all')`` would scan every schedule on each claim (SQLite).
    """
    sibling = orm.aliased(RunRow)
    ahead = sa.exists().where(
        sibling.schedule_id == RunRow.schedule_id,
        sibling.id != RunRow.id,
        sa.or_(
            sibling.state == _RUNNING,
            sa.and_(
                sibling.state == _PENDING,
                sa.or_(
                    sibling.attempt > 0,
                    sibling.scheduled_for < RunRow.scheduled_for,
                    sa.and_(sibling.scheduled_for == RunRow.scheduled_for, sibling.id < RunRow.id),
                ),
            ),
        ),
    )
    return sa.and_(ScheduleRow.overlap == domain.OverlapPolicy.BUFFER_ALL.value, ahead)


def _sibling(
    row: Any, *, state: domain.RunState | None = None, attempt: int | None = None
) -> overlap.Sibling:
    return overlap.Sibling(
        id=domain.RunId(row.id),
        state=state or domain.RunState(row.state),
        scheduled_for=row.scheduled_for,
        available_at=row.available_at,
        attempt=row.attempt if attempt is None else attempt,
        lease_expires_at=getattr(row, "lease_expires_at", None),
    )


def _forget(siblings: dict[int | None, list[overlap.Sibling]], row: sa.Row[Any]) -> None:
    if row.schedule_id in siblings:
        siblings[row.schedule_id] = [s for s in siblings[row.schedule_id] if s.id != row.id]
