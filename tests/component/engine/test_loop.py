"""The loop primitive: a round that raises never ends the loop; the loop backs off, says it is
failing, and recovers by itself; a round stuck too long, or a thread gone, is reported stalled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from cronwright.bootstrap.metrics import EngineMetrics
from cronwright.clock import FakeClock, SystemClock
from cronwright.engine.loop import Loop, Loops, LoopState

FAST = timedelta(milliseconds=10)


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        pause.wait(0.01)
    return False


def test_a_failing_round_is_retried_with_a_growing_backoff_until_it_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def round() -> None:
        calls.append(len(calls))
        if len(calls) <= 3:
            raise TimeoutError("pool exhausted")

    loop = Loop("probe", round, SystemClock(), interval=timedelta(hours=1), backoff_initial=FAST)
    loop.start()
    try:
        assert _wait_for(lambda: len(calls) >= 4)
        health = loop.health()
    finally:
        loop.stop()
    assert (health.state, health.failures, health.last_error) == (LoopState.OK, 0, None)
    assert health.last_success_at is not None
    failures = [r.getMessage() for r in caplog.records if "loop probe failed" in r.getMessage()]
    assert failures == [  # backing off, not spinning
        "loop probe failed (1 in a row); next try in 0.01s",
        "loop probe failed (2 in a row); next try in 0.02s",
        "loop probe failed (3 in a row); next try in 0.04s",
    ]


def test_a_loop_that_keeps_failing_says_so_with_its_last_error(t0: datetime) -> None:
    def round() -> None:
        raise ValueError("no such table: runs")

    loop = Loop("probe", round, FakeClock(t0), interval=timedelta(seconds=1), backoff_initial=FAST)
    registry = Loops()
    registry.add(loop)
    loop.start()
    try:
        assert _wait_for(lambda: loop.health().failures >= 2)
        health = loop.health()
        problems = registry.problems()
    finally:
        loop.stop()
    assert health.state is LoopState.FAILING
    assert health.last_error == "ValueError: no such table: runs"
    assert problems == [
        f"loop probe is failing ({health.failures} in a row): ValueError: no such table: runs"
    ]
    assert loop.health().state is LoopState.STOPPED
    assert registry.problems() == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_round_stuck_past_the_stall_limit_is_stalled_and_a_dead_thread_too(
    t0: datetime,
) -> None:
    release = threading.Event()

    def stuck() -> None:
        release.wait(10)

    loop = Loop(
        "stuck",
        stuck,
        FakeClock(t0),
        interval=timedelta(hours=1),
        stall_after=FAST,
    )
    loop.start()
    try:
        assert _wait_for(lambda: loop.health().state is LoopState.STALLED)
    finally:
        release.set()
        loop.stop()

    def die() -> None:
        raise SystemExit("not an Exception: nothing may catch it")

    dead = Loop("dead", die, FakeClock(t0), interval=timedelta(hours=1))
    dead.start()
    assert _wait_for(lambda: dead.health().state is LoopState.STALLED)
    assert dead.health().problem == "loop dead is stalled"
    dead.stop()  # joins the thread: its exception is reported within this test


def test_loop_health_is_a_prometheus_gauge_per_loop(t0: datetime) -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    good = Loop("good", lambda: None, FakeClock(t0), interval=timedelta(hours=1))
    bad = Loop("bad", fail, FakeClock(t0), interval=timedelta(hours=1), backoff_initial=FAST)
    loops = Loops()
    for loop in (good, bad):
        loops.add(loop)
        loop.start()
    metrics = EngineMetrics(CollectorRegistry())
    metrics.watch_loops(loops.health)
    try:
        assert _wait_for(lambda: good.health().last_success_at is not None)
        assert _wait_for(lambda: bad.health().failures >= 1)
        text = generate_latest(metrics.registry).decode()
    finally:
        good.stop()
        bad.stop()
    assert 'cronwright_loop_state{loop="good",state="ok"} 1.0' in text
    assert 'cronwright_loop_state{loop="bad",state="failing"} 1.0' in text
    assert 'cronwright_loop_state{loop="bad",state="ok"} 0.0' in text
    assert 'cronwright_loop_last_success_timestamp_seconds{loop="good"}' in text
