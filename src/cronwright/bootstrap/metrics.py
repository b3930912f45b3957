"""Prometheus metrics of the engine, next to the API's in one registry.

Three sources: the worker tells :class:`EngineMetrics` about each attempt as it starts and ends
(dispatch lag and duration histograms, finished runs); :meth:`EngineMetrics.refresh`, called
periodically, copies the cluster-wide counts (runs by state, queue depth, active runs) from a
queue snapshot; and each scrape takes the scheduler's new tick durations into their histogram
(:meth:`EngineMetrics.watch_scheduler`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cronwright import domain
from cronwright.engine import loop
from cronwright.engine import scheduler as scheduler_module

LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900)
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)
TICK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class EngineMetrics:
    """Implements the worker's ``RunListener``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.runs = Gauge(
            "cronwright_runs",
            "Runs in the database by state (cluster-wide).",
            ["state"],
            registry=registry,
        )
        self.queue_depth = Gauge(
            "cronwright_queue_depth",
            "Pending runs available now (cluster-wide).",
            registry=registry,
        )
        self.active_runs = Gauge(
            "cronwright_active_runs", "Running runs (cluster-wide).", registry=registry
        )
        self.dispatch_lag = Histogram(
            "cronwright_dispatch_lag_seconds",
            "From a run's scheduled time to its start, for attempts started by this process.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.run_duration = Histogram(
            "cronwright_run_duration_seconds",
            "How long attempts run by this process took, by how they ended.",
            ["state"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.runs_finished = Counter(
            "cronwright_runs_finished",
            "Attempts finished by this process, by how they ended.",
            ["state"],
            registry=registry,
        )
        self.alerts_sent = Counter(
            "cronwright_alerts_sent",
            "Alert deliveries sent by this process, by channel kind.",
            ["kind"],
            registry=registry,
        )
        # Not registered by itself: _TicksOnScrape exposes it, up to date at each scrape.
        self.tick_duration = Histogram(
            "cronwright_scheduler_tick_duration_seconds",
            "How long one scheduler tick (materialising due slots) took in this process.",
            buckets=TICK_BUCKETS,
            registry=None,
        )
        self._lock = threading.Lock()
        self._ticks_seen = 0

    # -- the worker's RunListener -----------------------------------------------------------------

    def run_started(self, run: domain.Run, lag: timedelta) -> None:
        self.dispatch_lag.observe(max(0.0, lag.total_seconds()))

    def run_finished(self, run: domain.Run, state: domain.RunState, duration: timedelta) -> None:
        self.run_duration.labels(state.value).observe(duration.total_seconds())
        self.runs_finished.labels(state.value).inc()

    # -- periodic ---------------------------------------------------------------------------------

    def refresh(
        self,
        counts: domain.QueueSnapshot | None,
        scheduler: scheduler_module.SchedulerStats | None = None,
    ) -> None:
        if counts is not None:
            for state in domain.RunState:
                self.runs.labels(state.value).set(counts.runs_by_state.get(state, 0))
            self.queue_depth.set(counts.queue_depth)
            self.active_runs.set(counts.active_runs)
        if scheduler is not None:
            self.observe_ticks(scheduler)

    def watch_scheduler(self, source: Callable[[], scheduler_module.SchedulerStats | None]) -> None:
        """Expose the tick histogram, taking ``source()``'s new ticks in at each scrape."""
        self.registry.register(_TicksOnScrape(self, source))

    def watch_loops(self, source: Callable[[], Sequence[loop.LoopHealth]]) -> None:
        """Expose each periodic loop's health, read at each scrape."""
        self.registry.register(_LoopsOnScrape(source))

    def observe_ticks(self, scheduler: scheduler_module.SchedulerStats) -> None:
        """The ticks since the last call (the stats keep the latest durations only)."""
        with self._lock:
            new = min(scheduler.ticks - self._ticks_seen, len(scheduler.tick_durations))
            self._ticks_seen = scheduler.ticks
            for duration in scheduler.tick_durations[len(scheduler.tick_durations) - new :]:
                self.tick_duration.observe(duration.total_seconds())


class _TicksOnScrape(Collector):
    def __init__(
        self,
        metrics: EngineMetrics,
        source: Callable[[], scheduler_module.SchedulerStats | None],
    ) -> None:
        self._metrics = metrics
        self._source = source

    def collect(self) -> Iterable[Metric]:
        found = self._source()
        if found is not None:
            self._metrics.observe_ticks(found)
        return self._metrics.tick_duration.collect()


class _LoopsOnScrape(Collector):
    """``cronwright_loop_state{loop, state}``: 1 for the loop's current state (ok, failing,
    stalled, stopped), 0 for the others; ``cronwright_loop_failures{loop}``: rounds failed in a
    row; ``cronwright_loop_last_success_timestamp_seconds{loop}``."""

    def __init__(self, source: Callable[[], Sequence[loop.LoopHealth]]) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        states = GaugeMetricFamily(
            "cronwright_loop_state",
            "Health of each periodic loop of this process: 1 for its current state.",
            labels=["loop", "state"],
        )
        failures = GaugeMetricFamily(
            "cronwright_loop_failures",
            "Rounds of each periodic loop that failed in a row (0 after a success).",
            labels=["loop"],
        )
        last_success = GaugeMetricFamily(
            "cronwright_loop_last_success_timestamp_seconds",
            "When each periodic loop last completed a round (Unix time).",
            labels=["loop"],
        )
        for health in self._source():
            for state in loop.LoopState:
                states.add_metric([health.name, state.value], float(health.state is state))
            failures.add_metric([health.name], float(health.failures))
            if health.last_success_at is not None:
                last_success.add_metric([health.name], health.last_success_at.timestamp())
        return [states, failures, last_success]
