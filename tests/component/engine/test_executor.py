from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.clock import SystemClock
from cronwright.engine.executor import Executor

State = domain.RunState


def test_steps_run_in_dependency_order_and_see_their_dependencies_outputs(bench: Bench) -> None:
    order: list[str] = []

    def step(name: str, value: int) -> Callable[[StepContext], int]:
        def function(ctx: StepContext) -> int:
            order.append(name)
            return value + sum(v for v in ctx.upstream.values() if isinstance(v, int))

        return function

    bench.functions.register("a", step("a", 1))
    bench.functions.register("b", step("b", 10))
    bench.functions.register("c", step("c", 100))
    run = bench.run(
        [
            python_step("c", "c", "a", "b"),
            python_step("b", "b", "a"),
            python_step("a", "a"),
        ]
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert order == ["a", "b", "c"]
    assert outcome == domain.RunOutcome.succeeded({"a": 1, "b": 11, "c": 112})
    recorded = bench.steps(run)
    assert [(s.name, s.attempt, s.state, s.output) for s in recorded] == [
        ("a", 1, State.SUCCEEDED, 1),
        ("b", 1, State.SUCCEEDED, 11),
        ("c", 1, State.SUCCEEDED, 112),
    ]


def test_a_step_sees_the_runs_input_and_its_idempotency_key(bench: Bench) -> None:
    seen: list[tuple[str, object]] = []
    bench.functions.register(
        "echo", lambda ctx: seen.append((ctx.idempotency_key, ctx.input["name"]))
    )
    run = bench.run([python_step("echo", "echo")], name="ada")
    bench.executor.execute(bench.claim(run))
    assert seen == [(f"{run.id}:1", "ada")]


def test_async_functions_run_to_completion(bench: Bench) -> None:
    async def fetch(ctx: StepContext) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"hello": str(ctx.input["name"])}

    bench.functions.register("fetch", fetch)
    run = bench.run([python_step("fetch", "fetch")], name="ada")
    assert bench.executor.execute(bench.claim(run)) == domain.RunOutcome.succeeded(
        {"fetch": {"hello": "ada"}}
    )


def test_a_failing_step_fails_the_attempt_and_skips_its_dependants(bench: Bench) -> None:
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("disk full")

    bench.functions.register("broken", broken)
    bench.functions.register("never", lambda ctx: pytest_fail())
    run = bench.run([python_step("first", "broken"), python_step("then", "never", "first")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome == domain.RunOutcome.failed("step 'first': RuntimeError: disk full")
    assert [(s.name, s.state, s.error) for s in bench.steps(run)] == [
        ("first", State.FAILED, "RuntimeError: disk full"),
        ("then", State.SKIPPED, "not run: step 'first' failed"),
    ]


def pytest_fail() -> None:
    raise AssertionError("a step after a failed one ran")


def test_an_unregistered_function_fails_with_its_name(bench: Bench) -> None:
    run = bench.run([python_step("x", "missing")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.error == (
        "step 'x': no python function named 'missing' is registered in this process"
    )


def test_an_output_that_is_not_json_fails_the_step(bench: Bench) -> None:
    bench.functions.register("odd", lambda ctx: {1, 2})
    run = bench.run([python_step("odd", "odd")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is State.FAILED
    assert "not JSON" in str(outcome.error)


def with_timeout(bench: Bench, run: domain.Run, timeout: timedelta) -> domain.ClaimedRun:
    claimed = bench.claim(run)
    return domain.ClaimedRun(run=claimed.run, definition=claimed.definition, timeout=timeout)


def test_a_sync_step_past_the_timeout_is_abandoned_and_the_attempt_times_out(
    bench: Bench,
) -> None:
    release = threading.Event()
    bench.functions.register("stuck", lambda ctx: release.wait(30))
    run = bench.run([python_step("stuck", "stuck")])
    executor = Executor(bench.registry, SystemClock(), bench.queue)
    outcome = executor.execute(with_timeout(bench, run, timedelta(milliseconds=200)))
    release.set()
    assert outcome is not None
    assert outcome.state is State.TIMED_OUT
    assert [(s.name, s.state) for s in bench.steps(run)] == [("stuck", State.TIMED_OUT)]


def test_an_async_step_past_the_timeout_is_cancelled(bench: Bench) -> None:
    cancelled = threading.Event()

    async def slow(ctx: StepContext) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bench.functions.register("slow", slow)
    run = bench.run([python_step("slow", "slow")])
    executor = Executor(bench.registry, SystemClock(), bench.queue)
    outcome = executor.execute(with_timeout(bench, run, timedelta(milliseconds=200)))
    assert outcome is not None
    assert outcome.state is State.TIMED_OUT
    assert cancelled.wait(5)


def test_an_interrupted_run_stops_its_step_and_has_nothing_to_finish(bench: Bench) -> None:
    interrupt = threading.Event()

    def watcher(ctx: StepContext) -> str:
        interrupt.set()  # as if the worker learned the run was cancelled
        ctx.stop.wait(30)
        return "stopped"

    bench.functions.register("watcher", watcher)
    run = bench.run([python_step("watcher", "watcher")])
    assert bench.executor.execute(bench.claim(run), interrupt=interrupt) is None
    assert [(s.name, s.state) for s in bench.steps(run)] == [("watcher", State.CANCELLED)]


def test_an_error_of_the_executor_itself_reaches_the_caller(bench: Bench) -> None:
    run = bench.run([python_step("s", "anything")])
    claimed = bench.claim(run)

    class BrokenRecorder:
        def record_step(self, step: domain.StepRecord) -> None:
            raise RuntimeError("the recorder is gone")

    executor = Executor(bench.registry, bench.clock, BrokenRecorder())
    with pytest.raises(RuntimeError, match="the recorder is gone"):
        executor.execute(claimed)
