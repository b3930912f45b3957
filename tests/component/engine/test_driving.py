"""Who runs a step: the driving thread for a lone step, threads of their own for parallel ones,
and a new driving thread when the first one is stuck in a step past its time."""

from __future__ import annotations

import queue as queues
import threading
import time
from datetime import timedelta

from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.clock import SystemClock
from cronwright.engine.executor import Executor
from cronwright.engine.worker import Worker

State = domain.RunState
CHECK = timedelta(milliseconds=10)


def current_thread_name(ctx: StepContext) -> str:
    return threading.current_thread().name


def test_a_lone_step_runs_on_the_driving_thread(bench: Bench) -> None:
    bench.functions.register("where", current_thread_name)
    run = bench.run([python_step("a", "where"), python_step("b", "where", "a")])
    outcomes: list[domain.RunOutcome | None] = []
    assert bench.executor.run(bench.claim(run), on_done=outcomes.append) is True
    here = threading.current_thread().name
    assert outcomes == [domain.RunOutcome.succeeded({"a": here, "b": here})]


def test_steps_running_at_the_same_time_each_have_a_thread(bench: Bench) -> None:
    bench.functions.register("where", current_thread_name)
    run = bench.run([python_step("a", "where"), python_step("b", "where")])
    outcomes: list[domain.RunOutcome | None] = []
    bench.executor.run(bench.claim(run), on_done=outcomes.append)
    [outcome] = outcomes
    assert outcome is not None
    assert isinstance(outcome.result, dict)
    assert outcome.result["a"] == f"cronwright-step-{run.id}-a"
    assert outcome.result["b"] == f"cronwright-step-{run.id}-b"


def test_a_driver_stuck_in_a_step_past_its_time_is_abandoned_and_another_drives_on(
    bench: Bench,
) -> None:
    release = threading.Event()
    tries: list[str] = []

    def slow_then_fast(ctx: StepContext) -> int:
        tries.append(threading.current_thread().name)
        if len(tries) == 1:
            release.wait(30)  # ignores ctx.stop, as a plain function may
        return len(tries)

    bench.functions.register("slow_then_fast", slow_then_fast)
    bench.functions.register("where", current_thread_name)
    run = bench.run(
        [
            {**python_step("s", "slow_then_fast"), "timeout": 0.2, "retries": 1},
            python_step("after", "where", "s"),
        ]
    )
    executor = Executor(
        bench.registry, SystemClock(), bench.queue, check_every=CHECK, unit_random=lambda: 0.0
    )
    claimed = bench.claim(run)
    done: queues.Queue[domain.RunOutcome | None] = queues.Queue()
    abandoned = threading.Event()
    returned: list[bool] = []
    driver = threading.Thread(
        target=lambda: returned.append(
            executor.run(claimed, on_done=done.put, on_abandoned=abandoned.set)
        ),
        name="first-driver",
    )
    driver.start()
    outcome = done.get(timeout=5)
    assert abandoned.is_set()
    assert driver.is_alive()  # still in the first try, whose result will be ignored
    release.set()
    driver.join(5)
    assert returned == [False]
    driven_on = f"cronwright-attempt-{run.id}"
    assert tries == ["first-driver", driven_on]
    assert outcome == domain.RunOutcome.succeeded({"s": 2, "after": driven_on})
    assert done.empty()  # once only
    recorded = [(s.name, s.state) for s in bench.steps(run)]
    assert recorded == [("s", State.SUCCEEDED), ("after", State.SUCCEEDED)]


def test_a_runner_stuck_in_a_step_past_its_time_is_replaced(bench: Bench) -> None:
    release = threading.Event()
    bench.functions.register("stuck", lambda ctx: release.wait(30))
    bench.functions.register("noop", lambda ctx: None)
    stuck = bench.run([{**python_step("s", "stuck"), "timeout": 0.2}], max_attempts=1)
    quick = bench.run([python_step("s", "noop")])
    executor = Executor(bench.registry, SystemClock(), bench.queue, check_every=CHECK)
    pool = Worker(bench.queue, executor, bench.clock, worker_id="w1", concurrency=1, prefetch=1)
    try:
        # The only runner takes the stuck run; the quick one waits in the buffer for it.
        assert [run.id for run in pool.claim_once()] == [stuck.id, quick.id]
        deadline = time.monotonic() + 5
        while bench.get(quick).state is not State.SUCCEEDED and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        assert not release.is_set()  # the stuck step has not returned: a new runner ran it
        assert bench.get(quick).state is State.SUCCEEDED
        timed_out = bench.get(stuck)
        assert (timed_out.state, timed_out.error) == (
            State.TIMED_OUT,
            "step 's': timed out: the step's timeout is 0:00:00.200000",
        )
    finally:
        release.set()
        pool.stop(timedelta(seconds=5))
    assert bench.get(stuck).state is State.TIMED_OUT  # its late result was ignored
