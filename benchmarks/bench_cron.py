"""Cron engine throughput against cronsim and croniter, in one process.

    python benchmarks/bench_cron.py [--repeat 7] [--quick]

Three measures, each per expression set and zone (UTC and America/New_York):
  (a) parse + validate per second,
  (b) parse + first next() per second,
  (c) successive next() per second over 1,000 steps (ours both via iter() and via next()).
Every library parses afresh each time and no cache survives between passes: our one cache,
``zones.transition``, is cleared before every timed pass (cronsim and croniter keep none).
Each figure is the median of ``--repeat`` passes.

The expressions are written in the dialect all three accept: cronsim has no ``L-n``/``nW`` and
croniter writes the last weekday of the month differently, so neither appears.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from croniter import croniter
from cronsim import CronSim

from cronwright.cron import CronExpression, zones

EXPRESSIONS = [
    "* * * * *",
    "*/5 * * * *",
    "0 * * * *",
    "0 0 * * *",
    "30 2 * * *",
    "0 9 * * MON-FRI",
    "0 9-17 * * 1-5",
    "*/15 9-17 * * MON-FRI",
    "0 0 1 * *",
    "0 0 1 1 *",
    "0 12 * * SUN",
    "15 10 L * *",
    "0 8 * * 1#1",
    "0 0 15 * *",
    "0 0,12 * * *",
    "5,35 * * * *",
    "0 22 * * 1-5",
    "0 4 1-7 * *",
    "0 0 * JAN,APR,JUL,OCT *",
    "0 6 1,15 * *",
    "45 23 * * 6",
    "0 */2 * * *",
    "10-50/10 8-18 * * *",
    "0 3 * * 0",
    "0 0 29 2 *",
]
ZONES: list[tuple[str, tzinfo]] = [("UTC", UTC), ("America/New_York", ZoneInfo("America/New_York"))]
START = datetime(2025, 3, 1, 12, 0, 0)
STEPS = 1_000


def clear_caches() -> None:
    zones.transition.cache_clear()


def timed(runs: dict[str, Callable[[], int]], repeat: int) -> dict[str, float]:
    """Median operations per second of each run (which returns its count of operations).

    Passes take the libraries in turn, so a busy machine slows them all alike.
    """
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            clear_caches()
            began = time.perf_counter()
            count = run()
            rates[name].append(count / (time.perf_counter() - began))
    return {name: statistics.median(values) for name, values in rates.items()}


def measures(zone: tzinfo, steps: int) -> dict[str, dict[str, Callable[[], int]]]:
    start = START.replace(tzinfo=zone)
    start_utc = start.astimezone(UTC)

    def parse_ours() -> int:
        for text in EXPRESSIONS:
            CronExpression.parse(text)
        return len(EXPRESSIONS)

    def parse_cronsim() -> int:
        for text in EXPRESSIONS:
            CronSim(text, start)
        return len(EXPRESSIONS)

    def parse_croniter() -> int:
        for text in EXPRESSIONS:
            croniter(text, start)
        return len(EXPRESSIONS)

    def first_ours() -> int:
        for text in EXPRESSIONS:
            CronExpression.parse(text).next(start_utc, zone)
        return len(EXPRESSIONS)

    def first_cronsim() -> int:
        for text in EXPRESSIONS:
            next(CronSim(text, start))
        return len(EXPRESSIONS)

    def first_croniter() -> int:
        for text in EXPRESSIONS:
            croniter(text, start).get_next(datetime)
        return len(EXPRESSIONS)

    def walk_ours_iter() -> int:
        for text in EXPRESSIONS:
            for _ in itertools.islice(CronExpression.parse(text).iter(start_utc, zone), steps):
                pass
        return steps * len(EXPRESSIONS)

    def walk_ours_next() -> int:
        for text in EXPRESSIONS:
            expr = CronExpression.parse(text)
            moment: datetime | None = start_utc
            for _ in range(steps):
                assert moment is not None
                moment = expr.next(moment, zone)
        return steps * len(EXPRESSIONS)

    def walk_cronsim() -> int:
        for text in EXPRESSIONS:
            for _ in itertools.islice(CronSim(text, start), steps):
                pass
        return steps * len(EXPRESSIONS)

    def walk_croniter() -> int:
        for text in EXPRESSIONS:
            it = croniter(text, start)
            for _ in range(steps):
                it.get_next(datetime)
        return steps * len(EXPRESSIONS)

    return {
        "(a) parse+validate/s": {
            "cronwright": parse_ours,
            "cronsim": parse_cronsim,
            "croniter": parse_croniter,
        },
        "(b) parse+first next/s": {
            "cronwright": first_ours,
            "cronsim": first_cronsim,
            "croniter": first_croniter,
        },
        f"(c) next/s over {steps} steps": {
            "cronwright iter()": walk_ours_iter,
            "cronwright next()": walk_ours_next,
            "cronsim": walk_cronsim,
            "croniter": walk_croniter,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="passes per figure (median)")
    parser.add_argument("--quick", action="store_true", help="3 passes, 200 steps")
    args = parser.parse_args()
    repeat, steps = (3, 200) if args.quick else (args.repeat, STEPS)
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"{len(EXPRESSIONS)} expressions, median of {repeat} passes"
    )
    for zone_name, zone in ZONES:
        print(f"\n== {zone_name}")
        for measure, runs in measures(zone, steps).items():
            rates = timed(runs, repeat)
            baseline = rates["cronsim"]
            print(f"  {measure}")
            for name, rate in rates.items():
                print(f"    {name:<18} {rate:>12,.0f}   {rate / baseline:5.2f}x cronsim")


if __name__ == "__main__":
    main()
