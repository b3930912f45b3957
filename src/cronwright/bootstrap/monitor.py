"""Housekeeping loops of a process: the statistics line, the metrics refresh, history pruning.

Each is a :class:`~cronwright.engine.loop.Loop`: a failing round (the database restarting) is
logged and tried again after a backoff, and the loop's health is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from cronwright import clock as clocks
from cronwright import domain
from cronwright.engine import loop, stats, worker
from cronwright.engine import scheduler as scheduler_module
from cronwright.store import contracts

log = logging.getLogger("cronwright.stats")


def periodic(
    name: str,
    interval: timedelta,
    action: Callable[[], None],
    clock: clocks.Clock,
    *,
    at_start: bool = False,
) -> loop.Loop:
    """A housekeeping loop: ``action`` every ``interval`` (first at once if ``at_start``)."""

    def round() -> None:
        action()

    return loop.Loop(
        name,
        round,
        clock,
        interval=interval,
        initial_delay=None if at_start else interval,
        sleep_on_clock=False,
    )


class Sampler:
    """Collects the statistics that the stats line and the metrics share."""

    def __init__(
        self,
        runs: contracts.RunQueue,
        clock: clocks.Clock,
        *,
        scheduler: scheduler_module.Scheduler | None,
        worker: worker.Worker | None,
    ) -> None:
        self._runs = runs
        self._clock = clock
        self.scheduler = scheduler
        self.worker = worker

    def counts(self) -> domain.QueueSnapshot:
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
