"""A point-in-time picture of the engine, for ``/metrics``, the dashboard and benchmarks."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronwright import domain
from cronwright.store import contracts

DEFAULT_LAG_WINDOW = timedelta(hours=1)


class Counters:
    """Events counted by one process (claims, finishes); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.claims = 0
        self.finishes = 0

    def claimed(self, count: int) -> None:
        with self._lock:
            self.claims += count

    def finished(self) -> None:
        with self._lock:
            self.finishes += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStats:
    runs_by_state: dict[domain.RunState, int]
    queue_depth: int  # pending runs available now
    active_runs: int  # running, cluster-wide
    # started_at - scheduled_for of scheduled runs first started within the window.
    dispatch_lag_p50: timedelta | None
    dispatch_lag_p95: timedelta | None
    dispatch_lag_p99: timedelta | None
    claims: int  # by this process
    finishes: int  # by this process

    @classmethod
    def collect(
        cls,
        runs: contracts.RunQueue,
        *,
        now: datetime,
        counters: Counters | None = None,
        lag_window: timedelta = DEFAULT_LAG_WINDOW,
    ) -> EngineStats:
        snapshot = runs.snapshot(now=now, since=now - lag_window)
        lags = sorted(snapshot.dispatch_lags)
        return cls(
            runs_by_state=dict(snapshot.runs_by_state),
            queue_depth=snapshot.queue_depth,
            active_runs=snapshot.active_runs,
            dispatch_lag_p50=percentile(lags, 50),
            dispatch_lag_p95=percentile(lags, 95),
            dispatch_lag_p99=percentile(lags, 99),
            claims=counters.claims if counters else 0,
            finishes=counters.finishes if counters else 0,
        )


def percentile(ordered: Sequence[timedelta], q: float) -> timedelta | None:
    """Nearest-rank percentile of sorted values; None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
