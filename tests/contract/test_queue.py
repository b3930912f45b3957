"""The RunQueue contract on SQLite and PostgreSQL: claiming, limits, leases, fencing, retries,
cancellation and release."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.support.rows import add_run

from cronwright import domain, errors
from cronwright.store.catalog import sql_catalog
from cronwright.store.database.schema import RunRow
from cronwright.store.run_queue import claiming, sql_queue

LEASE = timedelta(seconds=30)
SECOND = timedelta(seconds=1)
STEPS = domain.parse_definition({"steps": [{"name": "work", "kind": "python"}]})


class Env:
    """An organization with a workflow, and helpers to add schedules and runs."""

    def __init__(
        self, store: sql_catalog.SqlCatalog, t0: datetime, *, name: str = "acme", limit: int = 500
    ):
        self.store = store
        self.t0 = t0
        self.org = store.create_organization(
            name=name, max_schedules=100, max_concurrent_runs=limit, now=t0
        )
        self.workflow = store.add_workflow(org_id=self.org.id, name="w", definition=STEPS, now=t0)
        self._names = itertools.count(1)

    def schedule(self, **spec: object) -> domain.Schedule:
        number = next(self._names)
        base = domain.ScheduleSpec(
            workflow_id=self.workflow.id, name=f"s{number}", cron=f"{number % 60} * * * *"
        )
        return self.store.add_schedule(
            org_id=self.org.id,
            spec=base.replace(**spec),
            hash_key="k",
            next_fire_at=None,
            author="test",
            now=self.t0,
        )

    def run(
        self,
        schedule: domain.Schedule | None = None,
        *,
        at: datetime | None = None,
        available_at: datetime | None = None,
        trigger: domain.Trigger | None = None,
        max_attempts: int = 3,
    ) -> domain.Run:
        at = at or self.t0
        added = add_run(
            self.store,
            domain.NewRun(
                org_id=self.org.id,
                workflow_id=self.workflow.id,
                schedule_id=None if schedule is None else schedule.id,
                schedule_version_id=None,
                trigger=trigger
                or (domain.Trigger.MANUAL if schedule is None else domain.Trigger.SCHEDULE),
                scheduled_for=at,
                available_at=available_at or at,
                max_attempts=max_attempts,
                created_at=at,
            ),
        )
        assert added is not None
        return added

    def get(self, run: domain.Run | domain.RunId) -> domain.Run:
        run_id = run if isinstance(run, int) else run.id
        return self.store.get_run(self.org.id, domain.RunId(run_id))


@pytest.fixture
def env(store: sql_catalog.SqlCatalog, t0: datetime) -> Env:
    return Env(store, t0)


@pytest.fixture
def runs(store: sql_catalog.SqlCatalog) -> sql_queue.SqlRunQueue:
    # Backoff always takes its ceiling, so delays are exact: 5 s, then 10 s.
    return sql_queue.SqlRunQueue(store.engine, unit_random=lambda: 1.0)


def claim(runs: sql_queue.SqlRunQueue, worker: str, now: datetime, limit: int = 10) -> list[int]:
    return [c.id for c in runs.claim(worker, now=now, lease=LEASE, limit=limit)]


def running_count(store: sql_catalog.SqlCatalog, **where: object) -> int:
    query = sa.select(sa.func.count()).select_from(RunRow).where(RunRow.state == "running")
    for column, value in where.items():
        query = query.where(getattr(RunRow, column) == value)
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


# -- claiming ------------------------------------------------------------------------------------


def test_a_claim_takes_available_runs_oldest_first_and_marks_them_running(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    late = env.run(at=t0 - SECOND)
    early = env.run(at=t0 - 2 * SECOND)
    env.run(at=t0 + SECOND)  # not available yet
    claimed = runs.claim("w1", now=t0, lease=LEASE, limit=10)
    assert [c.id for c in claimed] == [early.id, late.id]
    run = env.get(early)
    assert run.state is domain.RunState.RUNNING
    assert (run.worker_id, run.attempt, run.started_at) == ("w1", 1, t0)
    assert run.lease_expires_at == t0 + LEASE
    assert claimed[0].definition == STEPS
    assert claimed[0].timeout == domain.schedule.DEFAULT_TIMEOUT


def test_a_claimed_run_carries_its_schedules_timeout(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run(env.schedule(timeout=timedelta(minutes=3)))
    [claimed] = runs.claim("w1", now=t0, lease=LEASE, limit=1)
    assert (claimed.id, claimed.timeout) == (run.id, timedelta(minutes=3))


def test_a_claimed_run_carries_its_workflows_definition_as_of_the_claim(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for _ in range(2):
        env.run()
    [first] = runs.claim("w1", now=t0, lease=LEASE, limit=1)
    assert first.definition == STEPS
    changed = domain.parse_definition({"steps": [{"name": "other", "kind": "python"}]})
    env.store.update_workflow(
        env.org.id, env.workflow.id, name="w", definition=changed, now=t0 + SECOND
    )
    [second] = runs.claim("w1", now=t0, lease=LEASE, limit=1)
    assert second.definition == changed  # the new version, not the one read before


def test_concurrent_claimers_never_claim_a_run_twice(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    expected = {env.run(at=t0 - n * SECOND).id for n in range(60)}
    claims: list[int] = []
    lock = threading.Lock()

    def claimer(worker: str) -> None:
        while got := claim(runs, worker, t0, limit=3):
            with lock:
                claims.extend(got)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claims) == sorted(expected)


def race(threads: int, target: Callable[[str], object]) -> None:
    """Run ``target(worker_id)`` in ``threads`` threads released at the same instant."""
    barrier = threading.Barrier(threads)

    def start(worker: str) -> None:
        barrier.wait()
        target(worker)

    started = [threading.Thread(target=start, args=(f"w{n}",)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()


def end_runs(store: sql_catalog.SqlCatalog, states: Collection[str] = ("running",)) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(RunRow).where(RunRow.state.in_(list(states))).values(state="succeeded")
        )


ROUNDS = 8


def test_limits_hold_under_concurrent_claimers(store: sql_catalog.SqlCatalog, t0: datetime) -> None:
    """Organization limits (3 and 4) and a global limit (6) are never exceeded, and are filled,
    round after round of simultaneous claims."""
    small, large = Env(store, t0, name="small", limit=3), Env(store, t0, name="large", limit=4)
    for n in range(ROUNDS * 8):
        small.run(at=t0 - n * SECOND)
        large.run(at=t0 - n * SECOND)
    runs = sql_queue.SqlRunQueue(store.engine, global_max_concurrent_runs=6)
    for _ in range(ROUNDS):
        race(8, lambda worker: runs.claim(worker, now=t0, lease=LEASE, limit=2))
        assert running_count(store, org_id=small.org.id) <= 3
        assert running_count(store, org_id=large.org.id) <= 4
        assert running_count(store) == 6
        end_runs(store)


@pytest.mark.parametrize("backend", ["postgres"])  # (SQLite has one writer at a time)
def test_a_claim_hides_few_rows_beyond_its_own_from_a_concurrent_claimer(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows a claim locks beyond the runs it takes (a margin for runs skipped or kept
    waiting) are hidden from the other claimers until it commits. With a margin of a quarter,
    two processes claiming 1,000 runs due at one instant together took 685 and 315."""
    for n in range(200):
        env.run(at=t0 - n * timedelta(milliseconds=1))
    first_locked, go_on = threading.Event(), threading.Event()
    lock_limits = claiming._Claim._lock_limits

    def paused(self: claiming._Claim, *args: Any, **kwargs: Any) -> None:
        if self.worker_id == "w1":  # its candidates are locked: wait before going on
            first_locked.set()
            go_on.wait(10)
        lock_limits(self, *args, **kwargs)

    monkeypatch.setattr(claiming._Claim, "_lock_limits", paused)
    first: list[int] = []
    claimer = threading.Thread(target=lambda: first.extend(claim(runs, "w1", t0, limit=100)))
    claimer.start()
    assert first_locked.wait(10)
    second = claim(runs, "w2", t0, limit=100)
    go_on.set()
    claimer.join()
    assert (len(first), len(second)) == (100, 90)


def test_overlap_skip_holds_under_concurrent_claimers(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for _ in range(ROUNDS):
        schedule = env.schedule(overlap=domain.OverlapPolicy.SKIP)
        for n in range(40):  # more than one claim's candidates: claimers lock disjoint sets
            env.run(schedule, at=t0 - n * SECOND)
        race(6, lambda worker: claim(runs, worker, t0, limit=1))
        assert running_count(env.store, schedule_id=schedule.id) == 1
        end_runs(env.store, ("pending", "running"))


def test_a_full_organization_does_not_hide_another_organizations_runs(
    store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    busy, quiet = Env(store, t0, name="busy", limit=1), Env(store, t0, name="quiet")
    for n in range(60):
        busy.run(at=t0 - timedelta(minutes=1) - n * SECOND)
    waiting = quiet.run(at=t0)
    runs = sql_queue.SqlRunQueue(store.engine)
    assert len(claim(runs, "w1", t0, limit=1)) == 1
    assert claim(runs, "w1", t0, limit=1) == [waiting.id]


def test_process_capacity_counts_the_workers_running_runs(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for n in range(5):
        env.run(at=t0 - n * SECOND)
    assert len(runs.claim("w1", now=t0, lease=LEASE, limit=2, process_capacity=3)) == 2
    assert len(runs.claim("w1", now=t0, lease=LEASE, limit=2, process_capacity=3)) == 1
    assert runs.claim("w1", now=t0, lease=LEASE, limit=2, process_capacity=3) == []
    assert len(runs.claim("w2", now=t0, lease=LEASE, limit=2, process_capacity=3)) == 2


# -- overlap and misfire at claim time -------------------------------------------------------------


def test_skip_marks_a_run_skipped_while_the_previous_one_runs(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(overlap=domain.OverlapPolicy.SKIP)
    first = env.run(schedule, at=t0)
    assert claim(runs, "w1", t0) == [first.id]
    second = env.run(schedule, at=t0 + SECOND)
    assert claim(runs, "w2", t0 + SECOND) == []
    skipped = env.get(second)
    assert skipped.state is domain.RunState.SKIPPED
    assert skipped.reason == f"previous run {first.id} still running"
    assert skipped.finished_at == t0 + SECOND


def test_buffer_all_runs_slots_one_after_another(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(overlap=domain.OverlapPolicy.BUFFER_ALL)
    first = env.run(schedule, at=t0)
    assert claim(runs, "w1", t0) == [first.id]
    second = env.run(schedule, at=t0 + SECOND)
    third = env.run(schedule, at=t0 + 2 * SECOND)
    now = t0 + 3 * SECOND
    assert claim(runs, "w2", now) == []
    assert env.get(second).state is env.get(third).state is domain.RunState.PENDING
    runs.finish(first.id, worker_id="w1", attempt=1, outcome=domain.RunOutcome.succeeded(), now=now)
    assert claim(runs, "w2", now) == [second.id]
    assert claim(runs, "w2", now) == []


def test_buffer_one_keeps_one_waiting_and_skips_the_rest(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(overlap=domain.OverlapPolicy.BUFFER_ONE)
    first = env.run(schedule, at=t0)
    claim(runs, "w1", t0)
    second = env.run(schedule, at=t0 + SECOND)
    third = env.run(schedule, at=t0 + 2 * SECOND)
    assert claim(runs, "w2", t0 + 3 * SECOND) == []
    assert env.get(second).state is domain.RunState.PENDING
    assert env.get(third).state is domain.RunState.SKIPPED
    assert env.get(third).reason == (
        f"run {second.id} is already waiting for run {first.id} to finish"
    )


def test_cancel_previous_cancels_the_running_run_and_its_worker_learns_it(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(overlap=domain.OverlapPolicy.CANCEL_PREVIOUS)
    first = env.run(schedule, at=t0)
    claim(runs, "w1", t0)
    second = env.run(schedule, at=t0 + SECOND)
    assert claim(runs, "w2", t0 + SECOND) == [second.id]
    cancelled = env.get(first)
    assert cancelled.state is domain.RunState.CANCELLED
    assert cancelled.reason == f"cancelled by run {second.id} (overlap policy cancel_previous)"
    assert runs.heartbeat("w1", {first.id}, now=t0 + SECOND, lease=LEASE) == {first.id}


def test_a_scheduled_run_later_than_its_misfire_grace_is_missed(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(misfire_grace=timedelta(seconds=60))
    on_time = env.run(schedule, at=t0)
    too_late = env.run(schedule, at=t0 - timedelta(seconds=61))
    manual = env.run(at=t0 - timedelta(hours=1))
    assert sorted(claim(runs, "w1", t0)) == sorted([on_time.id, manual.id])
    missed = env.get(too_late)
    assert missed.state is domain.RunState.MISSED
    assert missed.reason == "started 61 s late, beyond the misfire grace of 60 s"


def test_a_buffered_run_is_judged_from_when_its_predecessor_finished(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(
        overlap=domain.OverlapPolicy.BUFFER_ALL, misfire_grace=timedelta(seconds=60)
    )
    first = env.run(schedule, at=t0)
    claim(runs, "w1", t0)
    second = env.run(schedule, at=t0 + SECOND)
    finished_at = t0 + timedelta(minutes=10)  # long after second's slot + grace
    runs.finish(
        first.id, worker_id="w1", attempt=1, outcome=domain.RunOutcome.succeeded(), now=finished_at
    )
    assert claim(runs, "w1", finished_at + timedelta(seconds=30)) == [second.id]


# -- leases, fencing, retries --------------------------------------------------------------------


def test_a_heartbeat_extends_the_lease_of_runs_still_held(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run()
    claim(runs, "w1", t0)
    assert runs.heartbeat("w1", {run.id}, now=t0 + 10 * SECOND, lease=LEASE) == set()
    assert env.get(run).lease_expires_at == t0 + 40 * SECOND
    assert runs.reap_expired(now=t0 + 35 * SECOND) == []


def test_finish_is_fenced_on_worker_and_attempt(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run()
    claim(runs, "w1", t0)
    [reaped] = runs.reap_expired(now=t0 + 31 * SECOND)  # w1 went quiet
    assert reaped.state is domain.RunState.PENDING
    retry_at = t0 + 36 * SECOND
    assert claim(runs, "w2", retry_at) == [run.id]
    stale = runs.finish(
        run.id, worker_id="w1", attempt=1, outcome=domain.RunOutcome.succeeded("w1"), now=retry_at
    )
    assert stale is None
    assert (
        runs.finish(
            run.id, worker_id="w1", attempt=2, outcome=domain.RunOutcome.succeeded(), now=retry_at
        )
        is None
    )
    done = runs.finish(
        run.id, worker_id="w2", attempt=2, outcome=domain.RunOutcome.succeeded("w2"), now=retry_at
    )
    assert done is not None
    assert (done.state, done.result, done.finished_at) == (
        domain.RunState.SUCCEEDED,
        "w2",
        retry_at,
    )


def test_expired_leases_are_retried_with_backoff_then_fail_with_every_attempt_recorded(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run(env.schedule(), max_attempts=3)
    now = t0
    for attempt, backoff in ((1, 5), (2, 10)):
        assert claim(runs, f"w{attempt}", now) == [run.id]
        now += 31 * SECOND
        [reaped] = runs.reap_expired(now=now)
        assert (reaped.state, reaped.attempt) == (domain.RunState.PENDING, attempt)
        assert reaped.available_at == now + backoff * SECOND
        assert reaped.error is not None
        assert f"worker w{attempt} stopped renewing it" in reaped.error
        assert claim(runs, "early", now + (backoff - 1) * SECOND) == []
        now += backoff * SECOND
    assert claim(runs, "w3", now) == [run.id]
    now += 31 * SECOND
    [final] = runs.reap_expired(now=now)
    assert (final.state, final.attempt, final.finished_at) == (domain.RunState.FAILED, 3, now)
    assert final.reason == "failed after 3 attempts"
    steps = env.store.list_run_steps(env.org.id, run.id)
    assert [(s.name, s.attempt, s.state) for s in steps] == [
        (sql_queue.LEASE_STEP, n, domain.RunState.FAILED) for n in (1, 2, 3)
    ]
    assert claim(runs, "w4", now + timedelta(hours=1)) == []


def test_a_failed_attempt_retries_and_the_last_timeout_ends_timed_out(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run(env.schedule(), max_attempts=2)
    claim(runs, "w1", t0)
    retry = runs.finish(
        run.id, worker_id="w1", attempt=1, outcome=domain.RunOutcome.failed("boom"), now=t0
    )
    assert retry is not None
    assert (retry.state, retry.error, retry.available_at) == (
        domain.RunState.PENDING,
        "boom",
        t0 + 5 * SECOND,
    )
    assert retry.reason is not None
    assert retry.reason.startswith("attempt 1 of 2 failed; retrying at")
    claim(runs, "w1", t0 + 5 * SECOND)
    final = runs.finish(
        run.id,
        worker_id="w1",
        attempt=2,
        outcome=domain.RunOutcome.timed_out("too slow"),
        now=t0 + 6 * SECOND,
    )
    assert final is not None
    assert (final.state, final.error, final.reason) == (
        domain.RunState.TIMED_OUT,
        "too slow",
        "timed out after 2 attempts",
    )


# -- cancellation and release --------------------------------------------------------------------


def test_a_cancelled_pending_run_is_never_claimed(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run()
    cancelled = runs.cancel(env.org.id, run.id, now=t0)
    assert (cancelled.state, cancelled.reason) == (domain.RunState.CANCELLED, "cancelled")
    assert claim(runs, "w1", t0) == []


def test_a_cancelled_running_run_is_lost_at_heartbeat_and_cannot_be_finished(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    run = env.run()
    claim(runs, "w1", t0)
    runs.cancel(env.org.id, run.id, now=t0 + SECOND, reason="stopped by alice")
    assert runs.heartbeat("w1", {run.id}, now=t0 + 2 * SECOND, lease=LEASE) == {run.id}
    assert (
        runs.finish(
            run.id, worker_id="w1", attempt=1, outcome=domain.RunOutcome.succeeded(), now=t0
        )
        is None
    )
    assert env.get(run).state is domain.RunState.CANCELLED
    assert env.get(run).reason == "stopped by alice"


def test_cancel_refuses_ended_runs_and_other_organizations_runs(
    store: sql_catalog.SqlCatalog, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    mine, theirs = Env(store, t0, name="mine"), Env(store, t0, name="theirs")
    run = mine.run()
    with pytest.raises(errors.RunNotFound):
        runs.cancel(theirs.org.id, run.id, now=t0)
    runs.cancel(mine.org.id, run.id, now=t0)
    with pytest.raises(errors.Conflict, match="already ended: cancelled"):
        runs.cancel(mine.org.id, run.id, now=t0)


def test_released_runs_are_pending_again_with_the_attempt_not_consumed(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    first, second = env.run(at=t0 - SECOND), env.run(at=t0)
    claim(runs, "w1", t0)
    assert runs.release("w2", [first.id], now=t0) == []  # not w2's to release
    assert runs.release("w1", [first.id, second.id], now=t0 + SECOND) == [first.id, second.id]
    released = env.get(first)
    assert (released.state, released.attempt, released.worker_id, released.available_at) == (
        domain.RunState.PENDING,
        0,
        None,
        t0 + SECOND,
    )
    assert [c.attempt for c in runs.claim("w3", now=t0 + SECOND, lease=LEASE, limit=5)] == [1, 1]


# -- registry and statistics ---------------------------------------------------------------------


def test_workers_register_heartbeat_and_unregister(
    store: sql_catalog.SqlCatalog, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    runs.register_worker("w1", host="h", pid=1, now=t0)
    runs.heartbeat("w1", set(), now=t0 + 10 * SECOND)
    with store.engine.connect() as connection:
        beats = connection.execute(sa.text("SELECT id FROM workers")).scalars().all()
    assert beats == ["w1"]
    runs.unregister_worker("w1")
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM workers")).scalar_one() == 0


def test_a_snapshot_counts_states_depth_and_dispatch_lag(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule()
    env.run(schedule, at=t0 - 2 * SECOND)
    env.run(schedule, at=t0 - SECOND)
    env.run(schedule, at=t0 + timedelta(minutes=5))
    claim(runs, "w1", t0, limit=1)
    snapshot = runs.snapshot(now=t0, since=t0 - timedelta(hours=1))
    assert snapshot.runs_by_state == {domain.RunState.PENDING: 2, domain.RunState.RUNNING: 1}
    assert (snapshot.queue_depth, snapshot.active_runs) == (1, 1)
    assert snapshot.dispatch_lags == (2 * SECOND,)
