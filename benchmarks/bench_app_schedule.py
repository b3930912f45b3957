"""``App.schedule`` at scale: declaring many schedules, then declaring them again unchanged.

    python benchmarks/bench_app_schedule.py [--schedules 10000] [--backend sqlite|postgres]

A program embedding cronwright calls ``App.schedule`` for each of its schedules at every start;
a call finds the schedule by name and changes it only when its arguments changed. The first
pass creates ``--schedules`` schedules (one call each), the second calls again with the same
arguments (nothing changes: no new version), the third changes every cron expression (a new
version each). Each pass prints its wall time and time per call. Target: 10,000 unchanged
calls in under 15 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cronwright import App
from cronwright.testing.postgres import PostgresCluster

ACTION = "bench.noop"


def noop(ctx: object) -> None:
    return None


def timed(label: str, count: int, call: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for n in range(count):
        call(n)
    took = time.perf_counter() - started
    print(f"{label:<34} {count:>6} calls in {took:6.2f} s, {1000 * took / count:.2f} ms a call")
    return took


def run(url: str, count: int) -> None:
    app = App(url, quiet=True, max_schedules=count + 10)
    app.action(ACTION)(noop)
    try:
        timed("created", count, lambda n: app.schedule(f"job {n}", "0 * * * *", action=ACTION))
        unchanged = timed(
            "called again, unchanged",
            count,
            lambda n: app.schedule(f"job {n}", "0 * * * *", action=ACTION),
        )
        timed(
            "called again, cron changed",
            count,
            lambda n: app.schedule(f"job {n}", "30 * * * *", action=ACTION),
        )
        verdict = "met" if unchanged < 15 * count / 10_000 else "NOT met"
        print(f"target (10,000 unchanged calls < 15 s, scaled to {count}): {verdict}")
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    if args.backend == "postgres":
        with PostgresCluster.start(durable=True) as cluster:
            run(cluster.create_database("bench_app_schedule"), args.schedules)
        return
    with tempfile.TemporaryDirectory() as workdir:
        run(f"sqlite:///{Path(workdir) / 'app.db'}", args.schedules)


if __name__ == "__main__":
    main()
