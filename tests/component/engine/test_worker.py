from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

from tests.component.engine.conftest import Bench, python_step, wait_until_idle

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.engine.reaper import Reaper
from cronwright.engine.stats import EngineStats
from cronwright.engine.worker import Worker

State = domain.RunState
GRACE = timedelta(seconds=30)  # the fake clock never reaches it: stop() waits for the runs


def worker(bench: Bench, **options: object) -> Worker:
    return Worker(bench.queue, bench.executor, bench.clock, worker_id="w1", **options)  # type: ignore[arg-type]


def test_a_worker_claims_only_as_many_runs_as_it_has_free_slots(bench: Bench) -> None:
    gate = threading.Event()
    bench.functions.register("wait", lambda ctx: gate.wait(30))
    runs = [bench.run([python_step("s", "wait")]) for _ in range(5)]
    pool = worker(bench, concurrency=2, prefetch=0)
    assert len(pool.claim_once()) == 2
    assert pool.claim_once() == []
    gate.set()
    pool.stop(GRACE)
    assert [bench.get(run).state for run in runs].count(State.SUCCEEDED) == 2
    assert [bench.get(run).state for run in runs].count(State.PENDING) == 3
    assert (pool.counters.claims, pool.counters.finishes) == (2, 2)


def test_a_failed_attempt_goes_back_to_pending_after_its_backoff(bench: Bench) -> None:
    def broken(ctx: StepContext) -> None:
        raise ValueError("bad input")

    bench.functions.register("broken", broken)
    run = bench.run([python_step("s", "broken")])
    pool = worker(bench)
    pool.claim_once()
    pool.stop(GRACE)
    retried = bench.get(run)
    assert (retried.state, retried.attempt) == (State.PENDING, 1)
    assert retried.available_at == bench.clock.now() + timedelta(seconds=5)
    assert retried.error == "step 's': ValueError: bad input"


def test_a_cancelled_run_is_stopped_at_the_next_heartbeat(bench: Bench) -> None:
    started, stopped = threading.Event(), threading.Event()

    def long_job(ctx: StepContext) -> None:
        started.set()
        if ctx.stop.wait(30):
            stopped.set()

    bench.functions.register("long", long_job)
    run = bench.run([python_step("s", "long")])
    pool = worker(bench)
    pool.claim_once()
    assert started.wait(5)
    bench.queue.cancel(bench.org.id, run.id, now=bench.clock.now())
    assert pool.beat() == {run.id}
    assert stopped.wait(5)
    pool.stop(GRACE)
    assert pool.active == 0
    assert bench.get(run).state is State.CANCELLED


def test_shutdown_releases_runs_that_did_not_finish_within_the_grace_period(
    bench: Bench,
) -> None:
    started = threading.Event()

    def long_job(ctx: StepContext) -> None:
        started.set()
        ctx.stop.wait(30)

    bench.functions.register("long", long_job)
    run = bench.run([python_step("s", "long")])
    pool = worker(bench)
    pool.claim_once()
    assert started.wait(5)
    pool.stop(timedelta(0))
    released = bench.get(run)
    assert (released.state, released.attempt, released.worker_id) == (State.PENDING, 0, None)
    assert pool.active == 0


def test_a_stopped_worker_claims_nothing(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    run = bench.run([python_step("s", "noop")])
    pool = worker(bench)
    pool.stop(GRACE)
    assert pool.claim_once() == []
    assert bench.get(run).state is State.PENDING


def test_the_reaper_retries_a_run_whose_worker_vanished(bench: Bench) -> None:
    run = bench.run([python_step("s", "noop")])
    bench.queue.claim("vanished", now=bench.clock.now(), limit=1)
    reaper = Reaper(bench.queue, bench.clock)
    assert reaper.reap_once() == []
    bench.clock.advance(timedelta(seconds=31))
    [reaped] = reaper.reap_once()
    assert (reaped.id, reaped.state, reaped.attempt) == (run.id, State.PENDING, 1)


def test_engine_stats_report_states_depth_and_counters(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    for _ in range(3):
        bench.run([python_step("s", "noop")])
    pool = worker(bench, concurrency=2, prefetch=0)
    pool.claim_once()
    pool.stop(GRACE)
    stats = EngineStats.collect(bench.queue, now=bench.clock.now(), counters=pool.counters)
    assert stats.runs_by_state == {State.SUCCEEDED: 2, State.PENDING: 1}
    assert (stats.queue_depth, stats.active_runs, stats.claims, stats.finishes) == (1, 0, 2, 2)
    assert stats.dispatch_lag_p50 is None  # manual runs have no dispatch lag


def test_dispatch_lag_percentiles_use_the_nearest_rank() -> None:
    from cronwright.engine.stats import percentile

    lags = [timedelta(seconds=n) for n in range(1, 101)]
    assert [percentile(lags, q) for q in (50, 95, 99)] == [
        timedelta(seconds=50),
        timedelta(seconds=95),
        timedelta(seconds=99),
    ]
    assert percentile([], 50) is None


def test_an_idle_worker_polls_less_and_less_often_up_to_the_idle_interval(bench: Bench) -> None:
    pool = worker(
        bench, poll_interval=timedelta(seconds=1), idle_poll_interval=timedelta(seconds=5)
    )
    started = bench.clock.now()
    pool.start()
    for _ in range(500):  # the fake clock's sleeps return at once
        if len(bench.clock.slept_until) >= 6:
            break
        threading.Event().wait(0.01)
    pool.stop(GRACE)
    deadlines = [started, *bench.clock.slept_until][:7]
    waits = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(deadlines)]
    assert waits[:6] == [1, 2, 4, 5, 5, 5]


def test_an_idle_worker_reads_instead_of_claiming(bench: Bench) -> None:
    claims: list[int] = []
    original = bench.queue.claim

    def counted(*args: Any, **kwargs: Any) -> list[domain.ClaimedRun]:
        claims.append(1)
        return original(*args, **kwargs)

    bench.queue.claim = counted  # type: ignore[method-assign]
    pool = worker(bench)
    assert pool.claim_once() == []  # a claim that finds nothing...
    assert pool.claim_once() == []  # ...then a read that finds nothing due: no claim
    assert len(claims) == 1
    bench.functions.register("noop", lambda ctx: None)
    run = bench.run([python_step("s", "noop")])
    assert [claimed.id for claimed in pool.claim_once()] == [run.id]  # due now: claimed
    assert len(claims) == 2
    pool.stop(GRACE)


def test_a_worker_behind_keeps_as_many_runs_waiting_as_it_started_in_the_last_second(
    bench: Bench,
) -> None:
    """More runs due now than its room: a worker takes ``concurrency + prefetch`` a claim at
    first, then as many more as its runners started within the last second (a backlog in a
    few large claims: a claim costs mostly per claim), and ``prefetch`` again once caught up."""
    bench.functions.register("noop", lambda ctx: None)
    for _ in range(60):
        bench.run([python_step("s", "noop")])
    pool = worker(bench, concurrency=2, prefetch=2)
    taken = []
    for _ in range(6):  # one claim every 200 ms, each after the runs before it ended
        taken.append(len(pool.claim_once()))
        wait_until_idle(pool)
        bench.clock.advance(timedelta(milliseconds=200))
    assert taken == [4, 4, 4, 4, 4, 2 + 20]  # 20 started within the first second
    assert len(pool.claim_once()) == 60 - 42  # fewer than it asked for: caught up
    wait_until_idle(pool)
    for _ in range(10):
        bench.run([python_step("s", "noop")])
    bench.clock.advance(timedelta(seconds=1))
    assert len(pool.claim_once()) == 4
    pool.stop(GRACE)


def test_a_worker_behind_on_long_runs_keeps_no_more_waiting_than_its_prefetch(
    bench: Bench,
) -> None:
    """Its runners started two runs within the second: it keeps ``prefetch`` runs waiting, no
    more, and leaves the rest of the backlog to the other workers of the cluster."""
    gate = threading.Event()
    calls = itertools.count(1)
    two_started = threading.Event()

    def wait(ctx: StepContext) -> None:
        if next(calls) == 2:
            two_started.set()
        gate.wait(30)

    bench.functions.register("wait", wait)
    for _ in range(20):
        bench.run([python_step("s", "wait")])
    pool = worker(bench, concurrency=2, prefetch=2)
    assert len(pool.claim_once()) == 4
    assert two_started.wait(10)
    bench.clock.advance(timedelta(seconds=1))
    assert pool.claim_once() == []
    gate.set()
    wait_until_idle(pool)
    assert len(pool.claim_once()) == 4  # two started a second: room for two waiting
    other = Worker(bench.queue, bench.executor, bench.clock, worker_id="w2", concurrency=2)
    assert len(other.claim_once()) == 2 + 4
    pool.stop(GRACE)
    other.stop(GRACE)
