"""Shutdown never gives back a run whose outcome is already on its way to the database."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.engine.executor import Executor
from cronwright.engine.worker import Worker
from cronwright.engine.writer import GroupCommitWriter
from cronwright.store.run_queue import sql_queue

State = domain.RunState


class _HeldFinishes:
    """The real queue, except that a batch with a finish waits (up to 2 s) until a release was
    made: the finish of a run that ends during stop is written after the stop's release."""

    def __init__(self, runs: sql_queue.SqlRunQueue) -> None:
        self._runs = runs
        self.released = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runs, name)

    def write_batch(
        self, steps: Sequence[domain.StepRecord], finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        if finishes:
            self.released.wait(2)
        return self._runs.write_batch(steps, finishes)

    def release(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        keep_time: bool = False,
    ) -> list[domain.RunId]:
        try:
            return self._runs.release(worker_id, run_ids, now=now, keep_time=keep_time)
        finally:
            self.released.set()


class _FinishDuringStop(GroupCommitWriter):
    """At its first flush once armed, lets the running step return and waits until the run's
    finish is queued: the run ends just after the stop flushed the writer."""

    def __init__(self, runs: _HeldFinishes, may_return: threading.Event) -> None:
        super().__init__(runs)
        self._may_return = may_return
        self._finish_queued = threading.Event()
        self.armed = False

    def finish(self, run_id: domain.RunId, **kwargs: Any) -> Future[domain.Run | None]:
        future = super().finish(run_id, **kwargs)
        self._finish_queued.set()
        return future

    def flush(self) -> None:
        super().flush()
        if self.armed:
            self.armed = False
            self._may_return.set()
            assert self._finish_queued.wait(5)


def test_a_run_whose_finish_is_queued_at_stop_is_not_released(bench: Bench) -> None:
    started, may_return = threading.Event(), threading.Event()
    calls: list[int] = []

    def job(ctx: StepContext) -> str:
        calls.append(ctx.attempt)
        started.set()
        may_return.wait(10)
        return "done"

    bench.functions.register("job", job)
    run = bench.run([python_step("s", "job")])
    runs = _HeldFinishes(bench.queue)
    writer = _FinishDuringStop(runs, may_return)
    pool = Worker(
        runs,
        Executor(bench.registry, bench.clock, writer),
        bench.clock,
        worker_id="w1",
        writer=writer,
    )
    pool.claim_once()
    assert started.wait(5)
    writer.armed = True
    pool.stop(timedelta(0))
    ended = bench.get(run)
    assert (ended.state, ended.attempt, ended.result) == (State.SUCCEEDED, 1, {"s": "done"})
    assert [(s.name, s.attempt, s.state) for s in bench.steps(run)] == [("s", 1, State.SUCCEEDED)]
    assert calls == [1]
