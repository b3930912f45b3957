"""One claim transaction: choose candidates, lock the limits they touch, decide each one.

Used by ``SqlRunQueue.claim``; the guarantees are stated on ``RunQueue`` in
:mod:`cronwright.store.queue`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.planning import misfire, overlap
from cronwright.store import dialect
from cronwright.store.models import LimitLockRow, OrganizationRow, RunRow, ScheduleRow

GLOBAL_LIMIT_KEY = "global"
_RUNNING = domain.RunState.RUNNING.value
_PENDING = domain.RunState.PENDING.value


def claim_runs(
    connection: Connection,
    *,
    global_limit: int | None,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    process_capacity: int | None,
) -> list[int]:
    """Claim inside the caller's write transaction; returns the claimed run ids in order."""
    claim = _Claim(connection, global_limit, worker_id, now, lease)
    return claim.run(limit=limit, process_capacity=process_capacity)


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
    ) -> None:
        self.connection = connection
        self.dialect_name = connection.dialect.name
        self.global_limit = global_limit
        self.worker_id = worker_id
        self.now = now
        self.lease = lease

    def run(self, *, limit: int, process_capacity: int | None) -> list[int]:
        room = limit
        if process_capacity is not None:
            mine = self._count_running(RunRow.worker_id, self.worker_id)
            room = min(room, process_capacity - mine)
        if room <= 0:
            return []
        # A first, unlocked look at the counts: skip organizations already full, so a backlog of
        # one organization never hides another's runs. The exact check is made under the locks.
        running_by_org = self._running_by_org()
        if self.global_limit is not None and sum(running_by_org.values()) >= self.global_limit:
            return []
        full_orgs = [
            org_id
            for org_id, maximum in self._org_limits(running_by_org)
            if running_by_org[org_id] >= maximum
        ]
        candidates = self._candidates(batch=room * 2 + 10, exclude_orgs=full_orgs)
        if not candidates:
            return []
        schedules = self._schedules({c.schedule_id for c in candidates} - {None})
        org_limits = dict(self._org_limits({c.org_id for c in candidates}))
        self._lock_limits(candidates, schedules)

        # Exact counts, now that no other claimer can move them.
        running_by_org = self._running_by_org()
        running_total = sum(running_by_org.values())
        siblings = self._siblings(schedules)
        claimed: list[int] = []
        for row in candidates:
            schedule = schedules.get(row.schedule_id)
            policy = domain.OverlapPolicy(schedule.overlap) if schedule else None
            decision = overlap.RUN
            if schedule is not None and policy is not None:
                decision = overlap.decide(
                    policy,
                    overlap.Candidate(id=row.id, scheduled_for=row.scheduled_for),
                    siblings[schedule.id],
                    now=self.now,
                )
            if decision.verdict is overlap.Verdict.WAIT:
                continue
            if decision.verdict is overlap.Verdict.SKIP:
                assert decision.reason is not None
                self._end(row.id, domain.RunState.SKIPPED, decision.reason)
                _forget(siblings, row)
                continue
            missed = self._missed_reason(row, schedule, policy)
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
            self._start(row.id)
            claimed.append(row.id)
            running_by_org[row.org_id] += 1
            running_total += 1
            if row.schedule_id is not None:
                siblings[row.schedule_id] = [
                    s for s in siblings[row.schedule_id] if s.id != row.id
                ] + [_sibling(row, state=domain.RunState.RUNNING, attempt=row.attempt + 1)]
            if len(claimed) >= room:
                break
        return claimed

    # -- reads ------------------------------------------------------------------------------------

    def _count_running(self, column: Any, value: object) -> int:
        query = sa.select(sa.func.count()).where(RunRow.state == _RUNNING, column == value)
        return int(self.connection.execute(query).scalar_one())

    def _running_by_org(self) -> Counter[int]:
        query = (
            sa.select(RunRow.org_id, sa.func.count())
            .where(RunRow.state == _RUNNING)
            .group_by(RunRow.org_id)
        )
        return Counter(dict(self.connection.execute(query).all()))

    def _org_limits(self, org_ids: Iterable[int]) -> list[tuple[int, int]]:
        query = sa.select(OrganizationRow.id, OrganizationRow.max_concurrent_runs).where(
            OrganizationRow.id.in_(sorted(org_ids))
        )
        return list(self.connection.execute(query))

    def _candidates(self, *, batch: int, exclude_orgs: Sequence[int]) -> list[sa.Row[Any]]:
        query = (
            sa.select(RunRow.__table__)
            .where(
                RunRow.state == _PENDING,
                RunRow.available_at <= self.now,
                ~_waits_in_buffer_all(),
            )
            .order_by(RunRow.available_at, RunRow.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        if exclude_orgs:
            query = query.where(RunRow.org_id.not_in(exclude_orgs))
        return list(self.connection.execute(query).all())

    def _schedules(self, schedule_ids: set[int | None]) -> dict[int | None, sa.Row[Any]]:
        query = sa.select(ScheduleRow.id, ScheduleRow.overlap, ScheduleRow.misfire_grace).where(
            ScheduleRow.id.in_(sorted(i for i in schedule_ids if i is not None))
        )
        found: dict[int | None, Any] = {}
        for row in self.connection.execute(query):
            found[row.id] = row
        return found

    def _siblings(
        self, schedules: dict[int | None, sa.Row[Any]]
    ) -> dict[int | None, list[overlap.Sibling]]:
        found: dict[int | None, list[overlap.Sibling]] = {
            schedule_id: [] for schedule_id in schedules
        }
        watched = [
            schedule_id
            for schedule_id, row in schedules.items()
            if row.overlap != domain.OverlapPolicy.ALLOW.value
        ]
        if watched:
            query = sa.select(
                RunRow.id,
                RunRow.schedule_id,
                RunRow.state,
                RunRow.scheduled_for,
                RunRow.available_at,
                RunRow.attempt,
            ).where(RunRow.schedule_id.in_(watched), RunRow.state.in_([_PENDING, _RUNNING]))
            for row in self.connection.execute(query):
                found[row.schedule_id].append(_sibling(row))
        return found

    def _missed_reason(
        self,
        row: sa.Row[Any],
        schedule: sa.Row[Any] | None,
        policy: domain.OverlapPolicy | None,
    ) -> str | None:
        if schedule is None or policy is None:
            return None
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
        self, candidates: Sequence[sa.Row[Any]], schedules: dict[int | None, sa.Row[Any]]
    ) -> None:
        """Lock every limit the candidates touch, in key order (the same order for every
        claimer, so no two of them can wait for each other in a cycle)."""
        keys = {f"org:{row.org_id}" for row in candidates}
        keys |= {
            f"schedule:{schedule_id}"
            for schedule_id, row in schedules.items()
            if row.overlap != domain.OverlapPolicy.ALLOW.value
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

    def _start(self, run_id: int) -> None:
        self.connection.execute(
            sa.update(RunRow)
            .where(RunRow.id == run_id)
            .values(
                state=_RUNNING,
                worker_id=self.worker_id,
                attempt=RunRow.attempt + 1,
                started_at=self.now,
                lease_expires_at=self.now + self.lease,
                reason=None,
            )
        )

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


def _waits_in_buffer_all() -> sa.ColumnElement[bool]:
    """Pending runs of ``buffer_all`` schedules that must wait for a sibling: left out of the
    candidates so that a long backlog never hides other runs from the claim."""
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
    buffered = sa.select(ScheduleRow.id).where(
        ScheduleRow.overlap == domain.OverlapPolicy.BUFFER_ALL.value
    )
    return sa.and_(RunRow.schedule_id.in_(buffered), ahead)


def _sibling(
    row: Any, *, state: domain.RunState | None = None, attempt: int | None = None
) -> overlap.Sibling:
    return overlap.Sibling(
        id=domain.RunId(row.id),
        state=state or domain.RunState(row.state),
        scheduled_for=row.scheduled_for,
        available_at=row.available_at,
        attempt=row.attempt if attempt is None else attempt,
    )


def _forget(siblings: dict[int | None, list[overlap.Sibling]], row: sa.Row[Any]) -> None:
    if row.schedule_id in siblings:
        siblings[row.schedule_id] = [s for s in siblings[row.schedule_id] if s.id != row.id]
