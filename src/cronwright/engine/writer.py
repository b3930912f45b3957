"""Group commit: step records and finishes from every executor thread, written by one thread in
batches, one transaction per batch.

SQLite has one writer; a transaction per step record and per finish made the executor threads
queue for its lock. Here :meth:`GroupCommitWriter.record_step` only queues the record, and
:meth:`GroupCommitWriter.finish` queues the finish and returns a future of its result. The writer
thread takes whatever has queued up (waiting up to ``max_delay`` after the first item for more, or
until ``max_batch`` items are waiting) and writes it with :meth:`RunQueue.write_batch`: the step
records, then each finish fenced on its own ``(worker_id, attempt, state = running)``. A fenced-out
finish resolves to None, as :meth:`RunQueue.finish` would return.

Nothing is acknowledged before its batch commits: a worker keeps heartbeating a run until its
finish future resolves, so a crash before the commit leaves a running run whose lease expires and
the reaper retries it (execution stays at-least-once). A failed batch fails its finishes' futures
(the worker then stops renewing those leases, the same outcome); a run whose step record could not
be written has its later finish failed too, so no attempt ends ``succeeded`` with a step missing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronwright import domain
from cronwright.store import contracts

log = logging.getLogger(__name__)

DEFAULT_MAX_DELAY = timedelta(milliseconds=20)
DEFAULT_MAX_BATCH = 500
DEFAULT_MAX_DEFER = timedelta(milliseconds=200)
_DEFER_STEP = 0.002  # seconds between two looks at whether starts are still waiting


class StepsNotRecordedError(RuntimeError):
    """A finish refused because a step record of the same attempt could not be written."""


@dataclass(frozen=True, slots=True)
class _Finish:
    request: domain.Finish
    future: Future[domain.Run | None]


@dataclass(frozen=True, slots=True)
class _Barrier:
    """Queued by :meth:`GroupCommitWriter.flush`: set once everything queued before it is
    written."""

    written: threading.Event


_Item = domain.StepRecord | _Finish | _Barrier


class GroupCommitWriter:
    """A :class:`~cronwright.engine.executor.StepRecorder` and finisher that batches writes.

    Thread-safe. The writer thread starts with the first write and stops at :meth:`close` (after
    writing everything queued); a later write starts it again. Queuing takes no lock (thousands
    of runs a second queue a step record and a finish each): a deque append, and a wake-up only
    when the writer thread is idle.
    """

    def __init__(
        self,
        runs: contracts.RunQueue,
        *,
        max_delay: timedelta = DEFAULT_MAX_DELAY,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._runs = runs
        self._max_delay = max_delay.total_seconds()
        self._max_batch = max_batch
        self._queued: deque[_Item] = deque()
        self._idle = False  # the writer thread waits for a first item: wake it on one
        self._wake = threading.Event()  # an item came while idle, or closing
        self._more = threading.Event()  # a full batch, a flush or closing: no delay
        # A flush or closing: no holding back either (a full batch still is held back).
        self._urgent = threading.Event()
        self._closing = False
        self._flushing = 0  # barriers queued: write without the delay
        self._lock = threading.Lock()  # starting and stopping the thread; _flushing
        self._thread: threading.Thread | None = None
        self._unrecorded: set[tuple[domain.RunId, int]] = set()  # (run, attempt) missing a step
        self._discarded: frozenset[tuple[domain.RunId, int]] = frozenset()  # given back attempts
        self._busy: Callable[[], bool] | None = None
        self._max_defer_steps = 0

    def defer_while(
        self, busy: Callable[[], bool], *, at_most: timedelta = DEFAULT_MAX_DEFER
    ) -> None:
        """Hold each batch back while ``busy()`` (runs wait for a runner to start them), up to
        ``at_most``: at a fire time the runners start runs first and the batch of records is
        written after, instead of taking the GIL and the database from them. An idle writer
        is not even woken while ``busy()``: whoever ends the busy spell must call
        :meth:`wake`."""
        self._busy = busy
        self._max_defer_steps = max(0, round(at_most.total_seconds() / _DEFER_STEP))

    # -- callers ----------------------------------------------------------------------------------

    def record_step(self, step: domain.StepRecord) -> None:
        self._put(step)

    def finish(
        self,
        run_id: domain.RunId,
        *,
        worker_id: str,
        attempt: int,
        outcome: domain.RunOutcome,
        now: datetime,
        started_at: datetime | None = None,
    ) -> Future[domain.Run | None]:
        """Queue a fenced finish; the future gives what :meth:`RunQueue.finish` would return,
        once its batch committed (or the exception that failed the batch)."""
        request = domain.Finish(
            run_id=run_id,
            worker_id=worker_id,
            attempt=attempt,
            outcome=outcome,
            now=now,
            started_at=started_at,
        )
        future: Future[domain.Run | None] = Future()
        self._put(_Finish(request, future))
        return future

    def wake(self) -> None:
        """Look at the queue now: what ``busy()`` (see :meth:`defer_while`) held back may go.
        Cheap when the writer is not idle."""
        if self._idle and not self._wake.is_set():
            self._wake.set()

    def discard_steps(self, attempts: Iterable[tuple[domain.RunId, int]]) -> None:
        """Drop the step records of these (run, attempt) pairs from now on, queued or to come:
        attempts given back at shutdown, whose runs will run them again."""
        with self._lock:
            self._discarded = self._discarded | frozenset(attempts)

    def flush(self) -> None:
        """Return once everything queued before this call has been written."""
        barrier = _Barrier(threading.Event())
        with self._lock:
            self._flushing += 1
        self._put(barrier)
        barrier.written.wait()

    def close(self) -> None:
        """Write everything queued, then stop the writer thread."""
        with self._lock:
            thread = self._thread
            self._closing = True
        self._wake.set()
        self._more.set()
        self._urgent.set()
        if thread is not None:
            thread.join()
        with self._lock:
            self._thread = None
            self._closing = False
            self._urgent.clear()

    @property
    def pending(self) -> int:
        return sum(1 for item in list(self._queued) if not isinstance(item, _Barrier))

    # -- the writer thread ------------------------------------------------------------------------

    def _put(self, item: _Item) -> None:
        self._queued.append(item)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="cronwright-writer", daemon=True
                    )
                    self._thread.start()
        # The writer sets _idle before its last look at the queue, so either it sees this item
        # or this sees it idle. While ``busy()`` (runs due now wait for a runner) an idle
        # writer is left asleep: the caller that ends the busy spell calls :meth:`wake`.
        # An event is set only when it is not: setting takes its lock, which the runners of a
        # burst, each queueing its records, would all queue for (each wait costing a GIL
        # hand-over).
        if (
            self._idle
            and not self._wake.is_set()
            and (
                isinstance(item, _Barrier)
                or self._closing
                or self._busy is None
                or not self._busy()
            )
        ):
            self._wake.set()
        if isinstance(item, _Barrier):
            self._urgent.set()
            self._more.set()
        elif len(self._queued) >= self._max_batch and not self._more.is_set():
            self._more.set()

    def _loop(self) -> None:
        while True:
            if not self._queued:
                if self._closing:
                    return  # nothing left
                self._idle = True
                if not self._queued and not self._closing:
                    self._wake.wait()
                self._idle = False
                self._wake.clear()
                continue
            # Let more arrive: one transaction for all of them.
            if len(self._queued) < self._max_batch and not self._closing and not self._flushing:
                self._more.wait(self._max_delay)
            self._more.clear()
            self._defer()
            batch: list[_Item] = []
            while self._queued and len(batch) < self._max_batch:
                batch.append(self._queued.popleft())
            try:
                self._write([item for item in batch if not isinstance(item, _Barrier)])
            except Exception:  # never let the writer thread die: flush() would wait forever
                log.exception("the group-commit writer failed on a batch")
            finally:
                for item in batch:
                    if isinstance(item, _Barrier):
                        with self._lock:
                            self._flushing -= 1
                            if not self._flushing and not self._closing:
                                self._urgent.clear()
                        item.written.set()

    def _defer(self) -> None:
        busy = self._busy
        if busy is None:
            return
        # Not on ``_more``: a full batch sets it, and a burst's records fill batches faster
        # than they are written while its starts are still waiting for a runner.
        for _ in range(self._max_defer_steps):
            if self._closing or self._flushing or not busy():
                return
            self._urgent.wait(_DEFER_STEP)

    def _write(self, batch: list[domain.StepRecord | _Finish]) -> None:
        if not batch:
            return
        discarded = self._discarded
        steps = [
            item
            for item in batch
            if isinstance(item, domain.StepRecord)
            and (not discarded or (item.run_id, item.attempt) not in discarded)
        ]
        finishes: list[_Finish] = []
        for item in batch:
            if isinstance(item, _Finish):
                key = (item.request.run_id, item.request.attempt)
                if key in self._unrecorded:
                    self._unrecorded.discard(key)
                    item.future.set_exception(
                        StepsNotRecordedError(f"a step of run {key[0]} attempt {key[1]} was lost")
                    )
                else:
                    finishes.append(item)
        try:
            results = self._runs.write_batch(steps, [item.request for item in finishes])
        except Exception as error:  # the database may be restarting: the leases cover it
            log.exception(
                "could not write %d step record(s) and %d finish(es)", len(steps), len(finishes)
            )
            finished = {(item.request.run_id, item.request.attempt) for item in finishes}
            self._unrecorded |= {(s.run_id, s.attempt) for s in steps} - finished
            for item in finishes:
                item.future.set_exception(error)
            return
        for item, result in zip(finishes, results, strict=True):
            item.future.set_result(result)  # runs its callbacks on this thread
