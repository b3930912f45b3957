"""One claim transaction: read the candidates and what judging them needs (under the limit locks
they touch), decide with :func:`cronwright.planning.claims.decide`, write the decision.

Used by ``SqlRunQueue.claim``; the guarantees are stated on ``RunQueue`` in
:mod:`cronwright.store.run_queue.sql_queue`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.planning import claims, overlap
from cronwright.store.database import dialect, rows
from cronwright.store.database.schema import (
    LimitLockRow,
    OrganizationRow,
    RunRow,
    ScheduleRow,
    WorkflowRow,
)
from cronwright.store.run_queue import definitions

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


Key = definitions.Key  # (workflow id, version)
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
        self.capabilities = dialect.capabilities(self.dialect_name)
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
        """Read, decide (:func:`cronwright.planning.claims.decide`), write: returns the runs
        started, in candidate order.

        A run claimed ahead (``available_at`` after ``now``, within the horizon) is held by the
        worker until its time: the start written here is its planned one (``started_at`` =
        ``available_at``), and it counts as running against every limit from now on, so limits
        stay exact (at worst a held run makes another wait a little earlier than it must). Which
        runs may be claimed ahead: see :mod:`cronwright.planning.claims`."""
        # One grouped count gives the running runs per organization and this worker's own. On
        # SQLite the write lock is already held (BEGIN IMMEDIATE), so these counts are exact; on
        # PostgreSQL they are a first look, made exact under the limit locks below.
        running_by_org, mine = self._running()
        room = claims.room(
            limit=limit,
            ahead_limit=ahead_limit,
            process_capacity=process_capacity,
            own_running=mine,
        )
        if room <= 0:
            return []
        if self.global_limit is not None and sum(running_by_org.values()) >= self.global_limit:
            return []
        org_limits = dict(self._org_limits(running_by_org))
        candidates = self._routed_candidates(
            room=room,
            running_by_org=running_by_org,
            org_limits=org_limits,
            ahead_only=limit <= 0,
            unrunnable=unrunnable,
            known_unrunnable=known_unrunnable,
        )
        if not candidates:
            return []
        unknown = {c.org_id for c in candidates} - org_limits.keys()
        if unknown:
            org_limits.update(self._org_limits(unknown))
        schedules = _schedules(candidates)
        # One writer at a time (SQLite) already makes the counts exact; otherwise lock them.
        if self.capabilities.row_locks:
            self._lock_limits(candidates, schedules)
            running_by_org, _ = self._running()  # exact, now that no other claimer can move them
        limits = claims.Limits(
            org_max={domain.OrganizationId(org): n for org, n in org_limits.items()},
            global_limit=self.global_limit,
            limit=limit,
            ahead_limit=ahead_limit,
            room=room,
        )
        decision = self._decide(candidates, schedules, running_by_org, limits)
        return self._apply(decision, candidates)

    def _routed_candidates(
        self,
        *,
        room: int,
        running_by_org: Counter[int],
        org_limits: Mapping[int, int],
        ahead_only: bool,
        unrunnable: Unrunnable | None,
        known_unrunnable: Collection[Key],
    ) -> list[sa.Row[Any]]:
        """The candidates, less the runs this worker cannot execute (capability routing)."""
        # Skip organizations already full, so a backlog of one never hides another's runs.
        full_orgs = [
            org_id for org_id, maximum in org_limits.items() if running_by_org[org_id] >= maximum
        ]
        # A margin for runs that are skipped, missed or kept waiting instead of claimed. Not a
        # wide one: the rows it locks are hidden from the other claimers (SKIP LOCKED) until
        # this claim commits. With a quarter, of 1,000 runs due at one instant two processes
        # claiming together took 685 and 315, and the one with more set the second's p99.
        candidates = self._candidates(
            batch=room + max(10, room // 10),
            exclude_orgs=full_orgs,
            exclude_workflows=sorted(known_unrunnable),
            ahead_only=ahead_only,
        )
        if unrunnable is None or not candidates:
            return candidates
        cannot = unrunnable(
            self.connection, {(row.workflow_id, row.w_version) for row in candidates}
        )
        return [row for row in candidates if (row.workflow_id, row.w_version) not in cannot]

    def _decide(
        self,
        candidates: Sequence[sa.Row[Any]],
        schedules: Mapping[domain.ScheduleId, claims.ScheduleSettings],
        running_by_org: Counter[int],
        limits: claims.Limits,
    ) -> claims.ClaimDecision:
        """Read the siblings and finishes judging the candidates needs, and decide; no writes."""
        judged = [_candidate(row) for row in candidates]
        siblings = self._siblings(schedules)
        needed = claims.needs_finishes(judged, schedules=schedules, siblings=siblings, now=self.now)
        return claims.decide(
            judged,
            schedules=schedules,
            siblings=siblings,
            finishes=self._latest_finishes(needed),
            running={domain.OrganizationId(org): n for org, n in running_by_org.items()},
            limits=limits,
            now=self.now,
        )

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
        self, schedules: Mapping[domain.ScheduleId, claims.ScheduleSettings]
    ) -> dict[domain.ScheduleId, list[overlap.Sibling]]:
        """The pending and running runs of the candidates' schedules whose policy looks at them
        (every policy but ``allow``), by schedule."""
        watched = [
            schedule_id
            for schedule_id, schedule in schedules.items()
            if schedule.policy is not domain.OverlapPolicy.ALLOW
        ]
        found: dict[domain.ScheduleId, list[overlap.Sibling]] = {
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

    def _latest_finishes(
        self, schedule_ids: Collection[domain.ScheduleId]
    ) -> dict[domain.ScheduleId, list[claims.Finish]]:
        """The two latest finishes of each schedule's started runs: the latest other than any
        one candidate is among them.

        Read once, before deciding, although the writes of the decision set ``finished_at``:
        none of them can change what a later candidate would have read. Cancelled siblings are
        never of a buffered schedule, and missed runs never started; a skipped retry did start,
        but its schedule then keeps a run in progress for the rest of the claim, so no later run
        of it is judged for misfire (see :func:`claims.needs_finishes`)."""
        found: dict[domain.ScheduleId, list[claims.Finish]] = {}
        if not schedule_ids:
            return found
        rows = self.connection.execute(
            _latest_finishes_statement(), {"b_ids": sorted(schedule_ids)}
        )
        for schedule_id, run_id, finished_at in rows:
            found.setdefault(schedule_id, []).append(
                claims.Finish(run_id=domain.RunId(run_id), finished_at=finished_at)
            )
        return found

    # -- locks and writes -------------------------------------------------------------------------

    def _lock_limits(
        self,
        candidates: Sequence[sa.Row[Any]],
        schedules: Mapping[domain.ScheduleId, claims.ScheduleSettings],
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

    def _apply(
        self, decision: claims.ClaimDecision, candidates: Sequence[sa.Row[Any]]
    ) -> list[Claimed]:
        """Write the decision: the runs that end, the siblings cancelled, then the starts."""
        self._end(
            [(end, domain.RunState.SKIPPED) for end in decision.skipped]
            + [(end, domain.RunState.MISSED) for end in decision.missed]
        )
        for cancel in decision.cancelled:
            self._cancel_running(cancel)
        by_id = {row.id: row for row in candidates}
        return self._start([by_id[start.run_id] for start in decision.started])

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

    def _end(self, ends: Sequence[tuple[claims.End, domain.RunState]]) -> None:
        """End pending candidates (skipped, missed): rows this claim holds locked."""
        if ends:
            self.connection.execute(
                _end_statement(),
                [
                    {
                        "b_id": end.run_id,
                        "b_state": state.value,
                        "b_reason": end.reason,
                        "b_now": self.now,
                    }
                    for end, state in ends
                ],
            )

    def _cancel_running(self, cancel: claims.Cancel) -> None:
        """Cancel a running sibling, if it still runs.

        The decision counted it as gone from its organization's and the global counts. If it
        stopped running on its own since it was read (finished, or reaped: only possible on
        PostgreSQL, where the UPDATE below matches no row), it is gone from them too, and it
        cannot be running again before this claim commits: claiming it needs the limit locks
        this claim holds. Either way the counts the decision used are not below the truth."""
        reason = f"cancelled by run {cancel.by_run_id} (overlap policy cancel_previous)"
        self.connection.execute(
            sa.update(RunRow)
            .where(RunRow.id == cancel.run_id, RunRow.state == _RUNNING)
            .values(cancelled_values(reason, self.now))
        )


def _candidate(row: sa.Row[Any]) -> claims.Candidate:
    return claims.Candidate(
        id=domain.RunId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        schedule_id=None if row.schedule_id is None else domain.ScheduleId(row.schedule_id),
        scheduled_for=row.scheduled_for,
        available_at=row.available_at,
        trigger=domain.Trigger(row.trigger),
        attempt=row.attempt,
    )


def _schedules(
    candidates: Sequence[sa.Row[Any]],
) -> dict[domain.ScheduleId, claims.ScheduleSettings]:
    return {
        row.schedule_id: claims.ScheduleSettings(
            policy=domain.OverlapPolicy(row.s_overlap), misfire_grace=row.s_misfire_grace
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
def _latest_finishes_statement() -> sa.Select[Any]:
    """(schedule id, run id, finished_at) of the two latest finishes of each schedule in
    ``b_ids``, counting only runs that started (the misfire rule's "previous run")."""
    runs = RunRow.__table__.c
    rank = sa.func.row_number().over(
        partition_by=runs.schedule_id, order_by=(runs.finished_at.desc(), runs.id.desc())
    )
    ranked = (
        sa.select(runs.schedule_id, runs.id, runs.finished_at, rank.label("rank"))
        .where(
            runs.schedule_id.in_(sa.bindparam("b_ids", expanding=True)),
            runs.started_at.is_not(None),
            runs.finished_at.is_not(None),
        )
        .subquery()
    )
    return sa.select(ranked.c.schedule_id, ranked.c.id, ranked.c.finished_at).where(
        ranked.c.rank <= 2
    )


@functools.cache
def _end_statement() -> sa.Update:
    runs = RunRow.__table__.c
    return (
        sa.update(RunRow)
        .where(runs.id == sa.bindparam("b_id"))
        .values(
            state=sa.bindparam("b_state", type_=runs.state.type),
            reason=sa.bindparam("b_reason", type_=runs.reason.type),
            finished_at=sa.bindparam("b_now", type_=runs.finished_at.type),
        )
    )


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
