"""Claiming ahead, on SQLite and PostgreSQL: runs due within a short horizon are claimed before
their time, held under lease, and started at it; every guarantee of a claim still holds."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.contract.test_queue import LEASE, SECOND, Env, race, running_count

from cronwright import domain
from cronwright.store.catalog import sql_catalog
from cronwright.store.run_queue import sql_queue

AHEAD = timedelta(seconds=2)
_EXAMPLES = itertools.count()
State = domain.RunState


@pytest.fixture
def env(store: sql_catalog.SqlCatalog, t0: datetime) -> Env:
    return Env(store, t0)


@pytest.fixture
def runs(store: sql_catalog.SqlCatalog) -> sql_queue.SqlRunQueue:
    return sql_queue.SqlRunQueue(store.engine, unit_random=lambda: 1.0)


def claim_ahead(
    runs: sql_queue.SqlRunQueue,
    worker: str,
    now: datetime,
    *,
    limit: int = 10,
    ahead_limit: int = 10,
) -> list[domain.ClaimedRun]:
    return runs.claim(
        worker, now=now, lease=LEASE, limit=limit, ahead=AHEAD, ahead_limit=ahead_limit
    )


def test_runs_due_within_the_horizon_are_claimed_with_their_time_as_start(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    due = env.run(at=t0 - SECOND)
    soon = env.run(at=t0 + SECOND)
    edge = env.run(at=t0 + AHEAD)
    beyond = env.run(at=t0 + AHEAD + timedelta(microseconds=1))
    claimed = claim_ahead(runs, "w1", t0)
    assert [c.id for c in claimed] == [due.id, soon.id, edge.id]
    assert [c.run.started_at for c in claimed] == [t0, t0 + SECOND, t0 + AHEAD]
    for run, started_at in ((due, t0), (soon, t0 + SECOND), (edge, t0 + AHEAD)):
        held = env.get(run)
        assert (held.state, held.worker_id, held.attempt) == (State.RUNNING, "w1", 1)
        assert (held.started_at, held.lease_expires_at) == (started_at, t0 + LEASE)
    assert env.get(beyond).state is State.PENDING


def test_without_a_horizon_nothing_is_claimed_before_its_time(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    soon = env.run(at=t0 + SECOND)
    assert runs.claim("w1", now=t0, lease=LEASE, limit=10) == []
    assert claim_ahead(runs, "w1", t0, ahead_limit=0) == []
    assert [c.id for c in claim_ahead(runs, "w1", t0, limit=0, ahead_limit=1)] == [soon.id]


def test_the_limits_of_runs_due_now_and_of_runs_ahead_are_separate(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    now = [env.run(at=t0 - n * SECOND) for n in range(3)]
    ahead = [
        env.run(at=t0 + SECOND, available_at=t0 + n * timedelta(milliseconds=300))
        for n in (1, 2, 3)
    ]
    claimed = claim_ahead(runs, "w1", t0, limit=1, ahead_limit=2)
    assert [c.id for c in claimed] == [now[2].id, ahead[0].id, ahead[1].id]


def test_a_run_held_ahead_counts_against_the_organizations_limit(
    store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    env = Env(store, t0, name="small", limit=2)
    runs = sql_queue.SqlRunQueue(store.engine)
    held = [env.run(at=t0 + SECOND * n) for n in (1, 2)]
    due_later = env.run(at=t0 + 3 * SECOND)
    assert [c.id for c in claim_ahead(runs, "w1", t0)] == [r.id for r in held]
    assert claim_ahead(runs, "w2", t0 + 3 * SECOND, ahead_limit=0) == []  # the org is full
    assert env.get(due_later).state is State.PENDING
    assert running_count(store, org_id=env.org.id) == 2


@pytest.mark.parametrize(
    "policy",
    [
        domain.OverlapPolicy.SKIP,
        domain.OverlapPolicy.BUFFER_ONE,
        domain.OverlapPolicy.BUFFER_ALL,
        domain.OverlapPolicy.CANCEL_PREVIOUS,
    ],
)
def test_a_run_its_overlap_policy_would_not_start_now_waits_for_its_time(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime, policy: domain.OverlapPolicy
) -> None:
    """While a sibling runs, the next slot is neither claimed ahead nor judged early (skipped,
    cancelling the sibling): that is decided at its time, against the siblings of then."""
    schedule = env.schedule(overlap=policy)
    running = env.run(schedule, at=t0 - SECOND)
    assert [c.id for c in runs.claim("w1", now=t0 - SECOND, lease=LEASE, limit=1)] == [running.id]
    following = env.run(schedule, at=t0 + SECOND)
    assert claim_ahead(runs, "w2", t0) == []
    assert env.get(following).state is State.PENDING
    assert env.get(running).state is State.RUNNING


def test_a_run_free_to_start_is_claimed_ahead_under_every_policy(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for policy in domain.OverlapPolicy:
        schedule = env.schedule(overlap=policy)
        soon = env.run(schedule, at=t0 + SECOND)
        assert [c.id for c in claim_ahead(runs, "w1", t0)] == [soon.id], policy


def test_a_late_run_is_still_judged_for_misfire_but_a_run_ahead_is_not(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(misfire_grace=timedelta(seconds=5))
    late = env.run(schedule, at=t0 - timedelta(seconds=6))
    soon = env.run(schedule, at=t0 + SECOND)
    assert [c.id for c in claim_ahead(runs, "w1", t0)] == [soon.id]
    assert env.get(late).state is State.MISSED


def test_a_run_held_ahead_released_at_shutdown_keeps_its_time(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    due = env.run(at=t0 - SECOND)
    soon = env.run(at=t0 + SECOND)
    claim_ahead(runs, "w1", t0)
    assert sorted(runs.release("w1", [due.id, soon.id], now=t0)) == sorted([due.id, soon.id])
    released = env.get(soon)
    assert (released.state, released.attempt, released.available_at) == (
        State.PENDING,
        0,
        t0 + SECOND,
    )
    assert released.started_at is None
    assert env.get(due).available_at == t0


def test_a_run_held_ahead_is_fenced_and_reaped_like_any_running_run(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    soon = env.run(at=t0 + SECOND, max_attempts=2)
    [held] = claim_ahead(runs, "w1", t0)
    assert runs.heartbeat("w1", {soon.id}, now=t0, lease=LEASE) == set()
    [reaped] = runs.reap_expired(now=t0 + LEASE + SECOND)
    assert (reaped.id, reaped.state, reaped.attempt) == (soon.id, State.PENDING, 1)
    fenced = runs.finish(
        soon.id,
        worker_id="w1",
        attempt=held.attempt,
        outcome=domain.RunOutcome.succeeded(),
        now=t0 + LEASE + 2 * SECOND,
    )
    assert fenced is None


def test_concurrent_claimers_ahead_never_claim_a_run_twice(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for n in range(120):
        env.run(at=t0 + timedelta(milliseconds=10 * n))
    claimed: list[domain.ClaimedRun] = []
    race(6, lambda worker: claimed.extend(claim_ahead(runs, worker, t0, limit=0, ahead_limit=15)))
    ids = [c.id for c in claimed]
    assert len(ids) == len(set(ids))
    assert 15 <= len(ids) <= 90  # SKIP LOCKED: a claimer may find others' candidates locked


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offsets=st.lists(st.integers(min_value=-3000, max_value=4000), min_size=1, max_size=12),
    limit=st.integers(min_value=0, max_value=5),
    ahead_limit=st.integers(min_value=0, max_value=5),
)
def test_what_a_claim_takes_ahead_follows_the_horizon_and_both_limits(
    store: sql_catalog.SqlCatalog, t0: datetime, offsets: list[int], limit: int, ahead_limit: int
) -> None:
    env = Env(store, t0, name=f"org {next(_EXAMPLES)}")
    runs = sql_queue.SqlRunQueue(store.engine)
    made = [env.run(at=t0 + timedelta(milliseconds=ms)) for ms in offsets]
    claimed = {
        c.id
        for c in runs.claim(
            "w1", now=t0, lease=LEASE, limit=limit, ahead=AHEAD, ahead_limit=ahead_limit
        )
    }
    ordered = sorted(made, key=lambda run: (run.available_at, run.id))
    due = [r.id for r in ordered if r.available_at <= t0]
    ahead = [r.id for r in ordered if t0 < r.available_at <= t0 + AHEAD]
    assert claimed == set(due[:limit]) | set(ahead[:ahead_limit])
    for run in made:
        if run.id in claimed:
            assert env.get(run).started_at == max(t0, run.available_at)
        else:
            assert env.get(run).state is State.PENDING
    with store.engine.begin() as connection:  # leave the next example an empty queue
        connection.exec_driver_sql(
            "UPDATE runs SET state = 'cancelled' WHERE state IN ('pending', 'running')"
        )


def test_a_held_run_given_back_past_its_grace_keeps_its_time_and_is_then_missed(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    schedule = env.schedule(misfire_grace=timedelta(seconds=5))
    soon = env.run(schedule, at=t0 + SECOND)
    [held] = claim_ahead(runs, "w1", t0)
    assert held.misfire_grace == timedelta(seconds=5)
    stalled = t0 + 10 * SECOND
    assert runs.release("w1", [soon.id], now=stalled, keep_time=True) == [soon.id]
    given_back = env.get(soon)
    assert (given_back.state, given_back.attempt, given_back.available_at) == (
        State.PENDING,
        0,
        t0 + SECOND,
    )
    assert claim_ahead(runs, "w1", stalled) == []
    assert env.get(soon).state is State.MISSED


@pytest.mark.parametrize("succeeds", [True, False], ids=["succeeded", "failed, to retry"])
def test_a_finish_writes_the_real_start_of_a_run_held_ahead(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime, succeeds: bool
) -> None:
    soon = env.run(at=t0 + SECOND, max_attempts=2)
    [held] = claim_ahead(runs, "w1", t0)
    late = t0 + 3 * SECOND  # a runner took it two seconds after its planned start
    outcome = domain.RunOutcome.succeeded() if succeeds else domain.RunOutcome.failed("no")
    finished = runs.finish(
        soon.id,
        worker_id="w1",
        attempt=held.attempt,
        outcome=outcome,
        now=late + SECOND,
        started_at=late,
    )
    assert finished is not None
    assert finished.state is (State.SUCCEEDED if succeeds else State.PENDING)
    assert finished.started_at == env.get(soon).started_at == late


def test_pending_within_counts_the_pending_runs_available_in_a_window(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    before = env.run(at=t0 - SECOND)
    at_start = [env.run(at=t0) for _ in range(3)]
    env.run(at=t0 + SECOND)  # at the window's end: counted
    env.run(at=t0 + SECOND + timedelta(microseconds=1))  # after it
    assert runs.pending_within(since=t0, until=t0 + SECOND) == 4
    claim_ahead(runs, "w1", t0, limit=2, ahead_limit=0)  # two runs no longer pending
    assert {env.get(before).state, env.get(at_start[0]).state} == {State.RUNNING}
    assert runs.pending_within(since=t0, until=t0 + SECOND) == 3
