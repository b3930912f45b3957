"""Workflows as DAGs: order, parallelism within the run's step limit, skipping after a failure,
per-step timeouts and retries, run timeouts across branches."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.clock import SystemClock
from cronwright.engine.executor import MAX_OUTPUT_BYTES, Executor

State = domain.RunState
WAIT = 10  # seconds a step waits for a peer before the test counts it as not parallel


def states(bench: Bench, run: domain.Run) -> dict[str, tuple[State, str | None]]:
    return {s.name: (s.state, s.error) for s in bench.steps(run)}


def test_a_step_starts_only_after_all_its_dependencies_succeeded(bench: Bench) -> None:
    # A diamond: a -> (b, c) -> d. b and c may run in either order; d sees both.
    order: list[str] = []
    lock = threading.Lock()

    def record(ctx: StepContext) -> list[str]:
        with lock:
            order.append(ctx.step)
        return sorted(ctx.upstream)

    bench.functions.register("record", record)
    run = bench.run(
        [
            python_step("d", "record", "b", "c"),
            python_step("b", "record", "a"),
            python_step("c", "record", "a"),
            python_step("a", "record"),
        ]
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert order[0] == "a"
    assert sorted(order[1:3]) == ["b", "c"]
    assert order[3] == "d"
    assert outcome == domain.RunOutcome.succeeded(
        {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    )


def test_independent_steps_run_at_the_same_time(bench: Bench) -> None:
    # Each branch waits for the other inside its step: only concurrent steps get through.
    both = threading.Barrier(2, timeout=WAIT)
    bench.functions.register("meet", lambda ctx: both.wait())
    run = bench.run([python_step("left", "meet"), python_step("right", "meet")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is State.SUCCEEDED


def test_no_more_steps_run_at_once_than_the_runs_step_limit(bench: Bench) -> None:
    lock = threading.Lock()
    active, peak = 0, 0
    two_in, gate = threading.Event(), threading.Event()

    def step(ctx: StepContext) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if active == 2:
                two_in.set()
        gate.wait(WAIT)  # held until the limit's worth of steps is in
        with lock:
            active -= 1

    bench.functions.register("step", step)
    run = bench.run([python_step(f"s{n}", "step") for n in range(6)])
    claimed = bench.claim(run)
    executor = Executor(bench.registry, bench.clock, bench.queue, step_concurrency=2)
    outcomes: list[domain.RunOutcome | None] = []
    running = threading.Thread(target=lambda: outcomes.append(executor.execute(claimed)))
    running.start()
    # All six are ready at once: without a limit they would all have started with the first two.
    assert two_in.wait(WAIT)
    gate.set()
    running.join(WAIT)
    assert [o.state if o else None for o in outcomes] == [State.SUCCEEDED]
    assert peak == 2


def test_a_failed_step_skips_its_dependants_and_independent_branches_finish(
    bench: Bench,
) -> None:
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("no such table")

    ran: list[str] = []
    bench.functions.register("broken", broken)
    bench.functions.register("ok", lambda ctx: ran.append(ctx.step))
    run = bench.run(
        [
            python_step("extract", "broken"),
            python_step("transform", "ok", "extract"),
            python_step("load", "ok", "transform"),
            python_step("audit", "ok"),
        ]
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome == domain.RunOutcome.failed("step 'extract': RuntimeError: no such table")
    assert ran == ["audit"]
    assert states(bench, run) == {
        "extract": (State.FAILED, "RuntimeError: no such table"),
        "transform": (State.SKIPPED, "not run: step 'extract' failed"),
        "load": (State.SKIPPED, "not run: step 'extract' failed"),
        "audit": (State.SUCCEEDED, None),
    }


def test_a_step_past_its_own_timeout_times_out_the_run_and_skips_its_dependants(
    bench: Bench,
) -> None:
    release = threading.Event()
    bench.functions.register("stuck", lambda ctx: release.wait(30))
    bench.functions.register("after", lambda ctx: "ran")
    run = bench.run(
        [
            {**python_step("stuck", "stuck"), "timeout": 0.2},
            python_step("after", "after", "stuck"),
        ]
    )
    executor = Executor(bench.registry, SystemClock(), bench.queue)
    claimed = bench.claim(run)
    assert claimed.timeout > timedelta(minutes=1)  # the run's own budget is far from used
    outcome = executor.execute(claimed)
    release.set()
    assert outcome is not None
    assert outcome.state is State.TIMED_OUT
    assert outcome.error == "step 'stuck': timed out: the step's timeout is 0:00:00.200000"
    assert states(bench, run) == {
        "stuck": (State.TIMED_OUT, "timed out: the step's timeout is 0:00:00.200000"),
        "after": (State.SKIPPED, "not run: step 'stuck' timed out"),
    }


def test_the_runs_timeout_stops_every_running_branch_and_skips_what_did_not_start(
    bench: Bench,
) -> None:
    release = threading.Event()
    bench.functions.register("stuck", lambda ctx: release.wait(30))
    run = bench.run(
        [
            python_step("one", "stuck"),
            python_step("two", "stuck"),
            python_step("after", "stuck", "one", "two"),
        ]
    )
    claimed = bench.claim(run)
    short = domain.ClaimedRun(
        run=claimed.run, definition=claimed.definition, timeout=timedelta(milliseconds=200)
    )
    outcome = Executor(bench.registry, SystemClock(), bench.queue).execute(short)
    release.set()
    assert outcome is not None
    assert outcome.state is State.TIMED_OUT
    recorded = states(bench, run)
    assert recorded["one"][0] is recorded["two"][0] is State.TIMED_OUT
    assert recorded["after"][0] is State.SKIPPED


def test_a_step_is_tried_again_up_to_its_retries_within_the_attempt(bench: Bench) -> None:
    tries: list[int] = []

    def flaky(ctx: StepContext) -> str:
        tries.append(ctx.attempt)
        if len(tries) < 3:
            raise ConnectionError("reset by peer")
        return "third time lucky"

    bench.functions.register("flaky", flaky)
    run = bench.run([{**python_step("flaky", "flaky"), "retries": 2}])
    executor = Executor(bench.registry, bench.clock, bench.queue, unit_random=lambda: 0.0)
    outcome = executor.execute(bench.claim(run))
    assert outcome == domain.RunOutcome.succeeded({"flaky": "third time lucky"})
    assert tries == [1, 1, 1]  # all within the run's first attempt
    assert states(bench, run) == {"flaky": (State.SUCCEEDED, None)}


def test_a_step_out_of_retries_fails_with_its_last_error(bench: Bench) -> None:
    tries = 0

    def broken(ctx: StepContext) -> None:
        nonlocal tries
        tries += 1
        raise ConnectionError(f"try {tries}")

    bench.functions.register("broken", broken)
    run = bench.run([{**python_step("broken", "broken"), "retries": 1}])
    executor = Executor(bench.registry, bench.clock, bench.queue, unit_random=lambda: 0.0)
    outcome = executor.execute(bench.claim(run))
    assert outcome == domain.RunOutcome.failed("step 'broken': ConnectionError: try 2")
    assert tries == 2


def test_an_output_over_the_cap_is_stored_as_a_marked_preview(bench: Bench) -> None:
    bench.functions.register("huge", lambda ctx: "x" * (MAX_OUTPUT_BYTES * 2))
    bench.functions.register("size", lambda ctx: ctx.upstream["huge"])
    run = bench.run([python_step("huge", "huge"), python_step("size", "size", "huge")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    recorded = {s.name: s.output for s in bench.steps(run)}
    preview = recorded["huge"]
    assert isinstance(preview, dict)
    assert preview["truncated"] is True
    assert preview["bytes"] == MAX_OUTPUT_BYTES * 2 + 2  # the JSON string's quotes
    assert len(str(preview["head"])) < MAX_OUTPUT_BYTES
    assert recorded["size"] == preview  # later steps see what was recorded


def test_a_try_past_the_steps_timeout_is_tried_again(bench: Bench) -> None:
    release = threading.Event()
    tries = 0

    def slow_then_fast(ctx: StepContext) -> str:
        nonlocal tries
        tries += 1
        if tries == 1:
            release.wait(30)  # abandoned when its try times out
        return f"try {tries}"

    bench.functions.register("slow_then_fast", slow_then_fast)
    run = bench.run([{**python_step("s", "slow_then_fast"), "timeout": 0.2, "retries": 1}])
    executor = Executor(bench.registry, SystemClock(), bench.queue, unit_random=lambda: 0.0)
    outcome = executor.execute(bench.claim(run))
    release.set()
    assert outcome == domain.RunOutcome.succeeded({"s": "try 2"})
    assert states(bench, run) == {"s": (State.SUCCEEDED, None)}
