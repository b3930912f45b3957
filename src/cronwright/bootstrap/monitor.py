"""Housekeeping loops of a process: the statistics line, the metrics refresh, history pruning.

Each is a :class:`Periodic` thread; a failing round (the database restarting) is logged and the
next round tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from cronwright import clock as clocks
from cronwright.engine import scheduler as scheduler_module
from cronwright.engine import stats, worker
from cronwright.store import queue

log = logging.getLogger("cronwright.stats")


class Periodic:
    def __init__(
        self,
        name: str,
        interval: timedelta,
        action: Callable[[], None],
        *,
        at_start: bool = False,
    ) -> None:
        self._interval = interval.total_seconds()
        self._at_start = at_start
        self._action = action
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"cronwright-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        if self._at_start:
            self._round()
        while not self._stopping.wait(self._interval):
            self._round()

    def _round(self) -> None:
        try:
            self._action()
        except Exception:
            log.exception("%s failed; trying again next round", self._thread.name)


class Sampler:
    """Collects the statistics that the stats line and the metrics share."""

    def __init__(
        self,
        runs: queue.RunQueue,
        clock: clocks.Clock,
        *,
        scheduler: scheduler_module.Scheduler | None,
        worker: worker.Worker | None,
    ) -> None:
        self._runs = runs
        self._clock = clock
        self.scheduler = scheduler
        self.worker = worker

    def counts(self) -> queue.QueueSnapshot:
        """Runs by state, queue depth, running runs: without the lag percentiles, which read
        every run started in the last hour (the stats line's business, not every refresh's)."""
        now = self._clock.now()
        return self._runs.snapshot(now=now, since=now)

    def engine(self) -> stats.EngineStats:
        counters = self.worker.counters if self.worker is not None else None
        return stats.EngineStats.collect(self._runs, now=self._clock.now(), counters=counters)

    def scheduler_stats(self) -> scheduler_module.SchedulerStats | None:
        return self.scheduler.stats() if self.scheduler is not None else None


def stats_line(sampler: Sampler) -> None:
    """Log one line: runs by state, queue, lag percentiles, this process's work."""
    engine = sampler.engine()
    by_state = {state.value: count for state, count in sorted(engine.runs_by_state.items())}
    fields: dict[str, object] = {
        "event": "stats",
        "runs": by_state,
        "queue_depth": engine.queue_depth,
        "active_runs": engine.active_runs,
        "lag_p50_seconds": _seconds(engine.dispatch_lag_p50),
        "lag_p95_seconds": _seconds(engine.dispatch_lag_p95),
        "lag_p99_seconds": _seconds(engine.dispatch_lag_p99),
    }
    text = (
        f"stats: runs {_counts(by_state)}; queue {engine.queue_depth}, "
        f"active {engine.active_runs}; lag p50 {_shown(engine.dispatch_lag_p50)}, "
        f"p95 {_shown(engine.dispatch_lag_p95)}, p99 {_shown(engine.dispatch_lag_p99)}"
    )
    if sampler.worker is not None:
        fields.update(claims=engine.claims, finishes=engine.finishes)
        text += f"; this worker: {engine.claims} claimed, {engine.finishes} finished"
    scheduled = sampler.scheduler_stats()
    if scheduled is not None:
        fields.update(ticks=scheduled.ticks, failed_ticks=scheduled.failed_ticks)
        text += f"; scheduler: {scheduled.ticks} ticks, {scheduled.failed_ticks} failed"
    log.info("%s", text, extra=fields)


def _counts(by_state: dict[str, int]) -> str:
    return ", ".join(f"{count} {state}" for state, count in by_state.items()) or "none"


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


def _shown(value: timedelta | None) -> str:
    return "-" if value is None else f"{value.total_seconds():.3f}s"
