"""Group commit (``GroupCommitWriter``) and the worker's batch claims with a local buffer."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import timedelta

import pytest
from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.engine.executor import Executor
from cronwright.engine.worker import Worker
from cronwright.engine.writer import GroupCommitWriter, StepsNotRecordedError
from cronwright.store.run_queue import sql_queue

State = domain.RunState
GRACE = timedelta(seconds=30)  # the fake clock never reaches it: stop() waits for the runs


def step_record(claimed: domain.ClaimedRun, bench: Bench) -> domain.StepRecord:
    return domain.StepRecord(
        run_id=claimed.id,
        attempt=claimed.attempt,
        name="s",
        kind="python",
        state=State.SUCCEEDED,
        started_at=bench.clock.now(),
        finished_at=bench.clock.now(),
    )


class FailingOnce:
    """A queue whose first ``write_batch`` fails (the database restarting), then works."""

    def __init__(self, runs: sql_queue.SqlRunQueue) -> None:
        self.runs = runs
        self.failures = 1

    def write_batch(
        self, steps: Sequence[domain.StepRecord], finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        return self.runs.write_batch(steps, finishes)


def drain(pool: Worker) -> None:
    """Wait until the worker holds no run (buffered ones included), so stop() releases none."""
    while pool.active:
        threading.Event().wait(0.01)


# -- the writer ----------------------------------------------------------------------------------


def test_the_writer_records_steps_and_resolves_fenced_finishes(bench: Bench) -> None:
    done, lost = bench.run([python_step("s", "noop")]), bench.run([python_step("s", "noop")])
    first, second = bench.queue.claim("w1", now=bench.clock.now(), limit=2)
    assert [first.id, second.id] == [done.id, lost.id]
    bench.queue.cancel(bench.org.id, lost.id, now=bench.clock.now())
    writer = GroupCommitWriter(bench.queue, max_delay=timedelta(milliseconds=1))
    writer.record_step(step_record(first, bench))
    futures = [
        writer.finish(
            claimed.id,
            worker_id="w1",
            attempt=claimed.attempt,
            outcome=domain.RunOutcome.succeeded(),
            now=bench.clock.now(),
        )
        for claimed in (first, second)
    ]
    finished = futures[0].result(timeout=10)
    assert finished is not None
    assert finished.state is State.SUCCEEDED
    assert futures[1].result(timeout=10) is None  # fenced out: it was cancelled
    writer.close()
    assert [s.name for s in bench.steps(done)] == ["s"]
    assert bench.get(done).state is State.SUCCEEDED
    assert bench.get(lost).state is State.CANCELLED


def test_many_threads_queueing_at_once_lose_nothing(bench: Bench) -> None:
    bench.store.set_organization_quotas(bench.org.id, max_schedules=10, max_concurrent_runs=1000)
    for _ in range(240):
        bench.run([python_step("s", "noop")])
    claimed = bench.queue.claim("w1", now=bench.clock.now(), limit=240)
    assert len(claimed) == 240
    writer = GroupCommitWriter(bench.queue, max_delay=timedelta(milliseconds=2), max_batch=16)
    futures: list[Future[domain.Run | None]] = []

    def finish_share(share: list[domain.ClaimedRun]) -> None:
        for n, run in enumerate(share):
            writer.record_step(step_record(run, bench))
            futures.append(
                writer.finish(
                    run.id,
                    worker_id="w1",
                    attempt=run.attempt,
                    outcome=domain.RunOutcome.succeeded(),
                    now=bench.clock.now(),
                )
            )
            if n % 7 == 0:  # pauses let the writer go idle and be woken again
                threading.Event().wait(0.003)

    threads = [threading.Thread(target=finish_share, args=(claimed[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.flush()
    assert writer.pending == 0
    assert all(future.result(timeout=10) is not None for future in futures)
    writer.close()
    assert {bench.get(run.run).state for run in claimed} == {State.SUCCEEDED}
    assert all(len(bench.steps(run.run)) == 1 for run in claimed)


def test_flush_and_close_write_everything_queued(bench: Bench) -> None:
    for _ in range(3):
        bench.run([python_step("s", "noop")])
    claimed = bench.queue.claim("w1", now=bench.clock.now(), limit=3)
    writer = GroupCommitWriter(bench.queue, max_delay=timedelta(hours=1), max_batch=1000)
    for run in claimed:
        writer.record_step(step_record(run, bench))
    writer.flush()  # does not wait for the (hour-long) delay
    assert writer.pending == 0
    assert all(len(bench.steps(run.run)) == 1 for run in claimed)
    futures = [
        writer.finish(
            run.id,
            worker_id="w1",
            attempt=run.attempt,
            outcome=domain.RunOutcome.succeeded(),
            now=bench.clock.now(),
        )
        for run in claimed
    ]
    writer.close()
    assert all(future.done() for future in futures)
    assert {bench.get(run.run).state for run in claimed} == {State.SUCCEEDED}


def test_a_failed_batch_fails_its_finishes_and_those_of_runs_missing_a_step(
    bench: Bench,
) -> None:
    bench.run([python_step("s", "noop")])
    [claimed] = bench.queue.claim("w1", now=bench.clock.now(), limit=1)
    writer = GroupCommitWriter(FailingOnce(bench.queue), max_delay=timedelta(0))  # type: ignore[arg-type]
    writer.record_step(step_record(claimed, bench))
    writer.flush()  # this batch fails: the step record is lost
    future = writer.finish(
        claimed.id,
        worker_id="w1",
        attempt=claimed.attempt,
        outcome=domain.RunOutcome.succeeded(),
        now=bench.clock.now(),
    )
    with pytest.raises(StepsNotRecordedError):
        future.result(timeout=10)
    writer.close()
    # Still running: its lease expires and the reaper retries it (at-least-once).
    assert bench.get(claimed.run).state is State.RUNNING


class Batches:
    """A queue that only notes the size of each batch it is given."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def write_batch(
        self, steps: Sequence[domain.StepRecord], finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        self.sizes.append(len(steps) + len(finishes))
        return [None] * len(finishes)


def test_a_full_batch_is_held_back_while_starts_wait_too(bench: Bench) -> None:
    """At a burst's time the queue fills faster than a batch: being full must not let the
    writer take the GIL and the database from the starts while ``busy()``."""
    bench.run([python_step("s", "noop")])
    [claimed] = bench.queue.claim("w1", now=bench.clock.now(), limit=1)
    batches = Batches()
    writer = GroupCommitWriter(batches, max_delay=timedelta(0), max_batch=4)  # type: ignore[arg-type]
    starting = threading.Event()
    starting.set()
    writer.defer_while(starting.is_set, at_most=timedelta(seconds=30))
    for _ in range(10):
        writer.record_step(step_record(claimed, bench))
    threading.Event().wait(0.3)  # the writer's own thread would have written by now
    assert batches.sizes == []
    starting.clear()
    writer.wake()
    writer.flush()
    assert batches.sizes == [4, 4, 2]
    writer.close()


# -- the worker's buffer -------------------------------------------------------------------------


def test_a_worker_claims_its_threads_and_its_prefetch_in_one_batch(bench: Bench) -> None:
    gate = threading.Event()
    bench.functions.register("wait", lambda ctx: gate.wait(30))
    runs = [bench.run([python_step("s", "wait")]) for _ in range(9)]
    pool = Worker(bench.queue, bench.executor, bench.clock, worker_id="w1", concurrency=2)
    assert len(pool.claim_once()) == 6  # 2 runners + a prefetch of twice as many
    assert pool.claim_once() == []
    gate.set()
    drain(pool)
    pool.stop(GRACE)
    states = [bench.get(run).state for run in runs]
    assert (states.count(State.SUCCEEDED), states.count(State.PENDING)) == (6, 3)
    assert (pool.counters.claims, pool.counters.finishes) == (6, 6)
    assert all(len(bench.steps(run)) == 1 for run in runs[:6])


def test_shutdown_releases_buffered_runs_at_once_and_lets_started_ones_finish(
    bench: Bench,
) -> None:
    started, gate = threading.Event(), threading.Event()

    def first(ctx: StepContext) -> None:
        started.set()
        gate.wait(30)

    bench.functions.register("first", first)
    running = bench.run([python_step("s", "first")])
    buffered = [bench.run([python_step("s", "noop")]) for _ in range(3)]
    pool = Worker(
        bench.queue, bench.executor, bench.clock, worker_id="w1", concurrency=1, prefetch=3
    )
    assert len(pool.claim_once()) == 4
    assert started.wait(5)
    stopping = threading.Thread(target=pool.stop, args=(GRACE,))
    stopping.start()
    # The buffered runs go back before the running one ends: it is still blocked on the gate.
    for run in buffered:
        while bench.get(run).state is not State.PENDING:
            stopping.join(0.01)
    assert bench.get(running).state is State.RUNNING
    gate.set()
    stopping.join()
    assert bench.get(running).state is State.SUCCEEDED
    for run in buffered:
        released = bench.get(run)
        assert (released.state, released.attempt, released.worker_id) == (State.PENDING, 0, None)
    assert pool.active == 0


def test_the_heartbeat_keeps_the_leases_of_buffered_runs(bench: Bench) -> None:
    gate = threading.Event()
    bench.functions.register("wait", lambda ctx: gate.wait(30))
    runs = [bench.run([python_step("s", "wait")]) for _ in range(2)]
    pool = Worker(
        bench.queue, bench.executor, bench.clock, worker_id="w1", concurrency=1, prefetch=1
    )
    assert len(pool.claim_once()) == 2
    bench.clock.advance(timedelta(seconds=20))
    assert pool.beat() == set()
    for run in runs:
        assert bench.get(run).lease_expires_at == bench.clock.now() + timedelta(seconds=30)
    gate.set()
    drain(pool)
    pool.stop(GRACE)
    assert {bench.get(run).state for run in runs} == {State.SUCCEEDED}


def test_a_worker_and_its_executor_can_share_one_writer(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    runs = [bench.run([python_step("a", "noop"), python_step("b", "noop", "a")]) for _ in range(3)]
    writer = GroupCommitWriter(bench.queue)
    executor = Executor(bench.registry, bench.clock, writer)
    pool = Worker(bench.queue, executor, bench.clock, worker_id="w1", writer=writer)
    assert len(pool.claim_once()) == 3
    drain(pool)
    pool.stop(GRACE)
    for run in runs:
        assert bench.get(run).state is State.SUCCEEDED
        assert [s.name for s in bench.steps(run)] == ["a", "b"]
    assert pool.counters.finishes == 3
