"""Steady-load benchmark: how late runs start when many schedules share each second.

    python benchmarks/bench_ontime.py                          # SQLite + APScheduler, 1,000/s
    python benchmarks/bench_ontime.py --backend postgres       # PostgreSQL, 2 processes, durable
    python benchmarks/bench_ontime.py --backend postgres --pg-fsync both   # also fsync=off
    python benchmarks/bench_ontime.py --rate 300 --warmup 5 --duration 20  # a short run

Load: ``--rate`` x 10 schedules; schedule i fires every 10 s at the second offset ``i % 10``
(``k/10 * * * * *``), so ``--rate`` runs share every second, all due at its first instant (the
"top of the minute" of a real cron fleet, every second). Each runs a no-op python action that
records its own start (wall time). After ``--warmup`` seconds the slots of the next
``--duration`` seconds are measured:

- missed: slots not started within ``--drain`` seconds of their time (or never run);
- duplicated: slots whose action started more than once;
- lag: the action's start minus the slot's time, p50 / p99 / max;
- CPU per run: the process's CPU time (user + system, every process of ours for PostgreSQL; not
  the database server's) over the window, divided by the runs started in it.

Backends (``--backend``, several allowed; default ``sqlite apscheduler``):

- ``sqlite``: cronwright, one process (``cronwright.App``: scheduler, workers, reaper) on a
  SQLite file.
- ``postgres``: a throwaway cluster and ``--processes`` processes (2) each running
  ``cronwright.App``, sharing the load. ``--pg-fsync on`` (default) runs the server as users
  do: ``fsync``, ``synchronous_commit`` and ``full_page_writes`` on; ``off`` as the tests run
  it; ``both`` measures each.
- ``apscheduler``: APScheduler 3, ``BackgroundScheduler``, ``SQLAlchemyJobStore`` on a SQLite
  file, a pool of ``--concurrency`` threads, the same jobs (``second="k/10"``), with
  ``misfire_grace_time=None`` (every slot runs) and, with ``--aps-default-grace``, also its
  default grace of 1 s (late slots are dropped with no record).

Targets (2 cores), at 1,000 runs/s: SQLite 0 missed, 0 duplicated, lag p99 <= 50 ms,
<= 0.3 ms of CPU per run; PostgreSQL (durable, 2 processes) 0 missed, 0 duplicated, lag p99 <=
100 ms.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cronwright import App, actions, domain
from cronwright.store.database import dialect
from cronwright.store.database.schema import RunRow, ScheduleRow
from cronwright.testing.postgres import PostgresCluster

ACTION = "bench.ontime"
PERIOD = 10  # seconds between two slots of one schedule
BIG_QUOTA = 1_000_000
SCHEDULE_PREFIX = "ontime "

# The starts the no-op action records in this process: (run id, attempt, wall time).
# ``list.append`` is atomic under the GIL, so runner threads append without a lock.
_STARTS: list[tuple[int, int, float]] = []


def record_start(ctx: actions.StepContext) -> None:
    _STARTS.append((ctx.run_id, ctx.attempt, time.time()))


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def slots(self, offset: int) -> list[datetime]:
        """The slots of a schedule firing at second ``offset`` of every 10 in the window."""
        first = self.start + timedelta(seconds=(offset - self.start.second) % PERIOD)
        found = []
        while first < self.end:
            found.append(first)
            first += timedelta(seconds=PERIOD)
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    name: str
    expected: int
    missed: int
    duplicated: int | None  # None: not measurable (APScheduler's jobs do not know their slot)
    lags: list[float]
    cpu_seconds: float
    runs_in_window: int  # starts during the window, by wall time
    window_seconds: float

    def cpu_per_run_ms(self) -> float:
        return 1000 * self.cpu_seconds / self.runs_in_window if self.runs_in_window else 0.0

    def line(self) -> str:
        duplicated = "n/a" if self.duplicated is None else str(self.duplicated)
        return (
            f"{self.name:<46} {self.expected:>7} slots, missed {self.missed}, duplicated "
            f"{duplicated}, lag p50 {1000 * percentile(self.lags, 0.5):.1f} ms "
            f"p99 {1000 * percentile(self.lags, 0.99):.1f} ms "
            f"max {1000 * max(self.lags, default=float('nan')):.1f} ms, "
            f"CPU {self.cpu_per_run_ms():.3f} ms/run "
            f"({100 * self.cpu_seconds / self.window_seconds:.0f}% of a core)"
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sleep_until(at: datetime) -> None:
    left = (at - datetime.now(UTC)).total_seconds()
    if left > 0:
        time.sleep(left)


def window_after(lead: float, duration: float) -> Window:
    """A window starting on a whole second ``lead`` seconds from now."""
    start = (datetime.now(UTC) + timedelta(seconds=lead + 1)).replace(microsecond=0)
    return Window(start, start + timedelta(seconds=duration))


# -- cronwright ---------------------------------------------------------------------------------


def new_app(url: str, concurrency: int, *, migrate: bool = True) -> App:
    app = App(url, migrate=migrate, concurrency=concurrency, shutdown_grace=timedelta(seconds=5))
    app.action(ACTION)(record_start)
    return app


def create_schedules(app: App, count: int) -> None:
    org = app.organization
    app.service.organizations.set_quotas(
        org.id, max_schedules=BIG_QUOTA, max_concurrent_runs=BIG_QUOTA
    )
    definition = {"steps": [{"name": "noop", "kind": "python", "config": {"function": ACTION}}]}
    workflow = app.service.workflows.create(org.id, name="ontime", definition=definition)
    for first in range(0, count, 5000):
        specs = [
            domain.ScheduleSpec(
                workflow_id=workflow.id,
                name=f"{SCHEDULE_PREFIX}{n}",
                cron=f"{n % PERIOD}/{PERIOD} * * * * *",
                input={"n": n},
            )
            for n in range(first, min(count, first + 5000))
        ]
        app.service.schedules.create_many(org.id, specs, author="bench")


def cronwright_result(
    name: str,
    url: str,
    window: Window,
    starts: Iterable[tuple[int, int, float]],
    cpu_seconds: float,
    drain: float,
) -> Result:
    """Judge every slot of the window from the runs table and the recorded starts."""
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            schedules = connection.execute(sa.select(ScheduleRow.id, ScheduleRow.name)).all()
            runs = connection.execute(
                sa.select(RunRow.id, RunRow.schedule_id, RunRow.scheduled_for).where(
                    RunRow.scheduled_for >= window.start, RunRow.scheduled_for < window.end
                )
            ).all()
    finally:
        engine.dispose()
    by_run: dict[int, list[float]] = defaultdict(list)
    in_window = 0
    start_s, end_s = window.start.timestamp(), window.end.timestamp()
    for run_id, _attempt, at in starts:
        by_run[run_id].append(at)
        in_window += start_s <= at < end_s
    run_of = {(r.schedule_id, r.scheduled_for): r.id for r in runs}
    expected = missed = duplicated = 0
    lags: list[float] = []
    for schedule_id, schedule_name in schedules:
        offset = int(schedule_name.removeprefix(SCHEDULE_PREFIX)) % PERIOD
        for slot in window.slots(offset):
            expected += 1
            run = run_of.get((schedule_id, slot))
            started = sorted(by_run.get(run, ())) if run is not None else []
            if len(started) > 1:
                duplicated += 1
            lag = started[0] - slot.timestamp() if started else None
            if lag is None or lag > drain:
                missed += 1
            if lag is not None:
                lags.append(lag)
    return Result(
        name=name,
        expected=expected,
        missed=missed,
        duplicated=duplicated,
        lags=lags,
        cpu_seconds=cpu_seconds,
        runs_in_window=in_window,
        window_seconds=window.seconds,
    )


def cronwright_sqlite(args: argparse.Namespace, workdir: Path) -> Result:
    url = f"sqlite:///{workdir / 'ontime.db'}"
    app = new_app(url, args.concurrency)
    try:
        create_schedules(app, args.rate * PERIOD)
        _STARTS.clear()
        app.start()
        window = window_after(args.warmup, args.duration)
        try:
            sleep_until(window.start)
            cpu = time.process_time()
            sleep_until(window.end)
            cpu = time.process_time() - cpu
            sleep_until(window.end + timedelta(seconds=args.drain))
        finally:
            app.stop()
        return cronwright_result(
            f"cronwright, SQLite, 1 process, {args.rate}/s",
            url,
            window,
            list(_STARTS),
            cpu,
            args.drain,
        )
    finally:
        app.close()


def cronwright_postgres(args: argparse.Namespace, workdir: Path, *, durable: bool) -> Result:
    settings = "fsync on" if durable else "fsync off"
    with PostgresCluster.start(durable=durable) as cluster:
        url = cluster.create_database("bench_ontime")
        app = new_app(url, args.concurrency)
        try:
            create_schedules(app, args.rate * PERIOD)
        finally:
            app.close()
        window = window_after(args.warmup, args.duration)
        records = [workdir / f"node-{n}.json" for n in range(args.processes)]
        nodes = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--node",
                    url,
                    "--record",
                    str(record),
                    "--window",
                    window.start.isoformat(),
                    window.end.isoformat(),
                    "--concurrency",
                    str(args.concurrency),
                ]
            )
            for record in records
        ]
        try:
            sleep_until(window.end + timedelta(seconds=args.drain))
        finally:
            for node in nodes:
                node.send_signal(signal.SIGTERM)
            for node in nodes:
                node.wait(timeout=120)
        starts: list[tuple[int, int, float]] = []
        cpu = 0.0
        for record in records:
            found = json.loads(record.read_text())
            starts += [tuple(start) for start in found["starts"]]
            cpu += found["cpu"]
        return cronwright_result(
            f"cronwright, PostgreSQL ({settings}), {args.processes} processes, {args.rate}/s",
            url,
            window,
            starts,
            cpu,
            args.drain,
        )


def node(url: str, record: Path, window: Window, concurrency: int) -> None:
    """A PostgreSQL process: scheduler, workers and reaper until SIGTERM; then its starts and
    its CPU time over the window go to ``record``."""
    app = new_app(url, concurrency, migrate=False)
    cpu: list[float] = []

    def measure() -> None:
        sleep_until(window.start)
        cpu.append(time.process_time())
        sleep_until(window.end)
        cpu.append(time.process_time())

    threading.Thread(target=measure, daemon=True).start()
    try:
        app.run()
    finally:
        app.close()
    used = cpu[1] - cpu[0] if len(cpu) == 2 else float("nan")
    record.write_text(json.dumps({"starts": list(_STARTS), "cpu": used}))


# -- APScheduler 3 -------------------------------------------------------------------------------


_APS_STARTS: list[tuple[int, float]] = []  # (job number, wall time)


def aps_job(n: int) -> None:
    """APScheduler's job: a module-level function, so its job store can pickle a reference."""
    _APS_STARTS.append((n, time.time()))


def apscheduler(args: argparse.Namespace, workdir: Path, *, misfire_grace: int | None) -> Result:
    from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
    from apscheduler.jobstores.sqlalchemy import (  # type: ignore[import-untyped]
        SQLAlchemyJobStore,
    )
    from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
        BackgroundScheduler,
    )
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    path = workdir / f"apscheduler-{misfire_grace}.db"
    # ``max_instances`` high enough that no slot is skipped for a running sibling: a no-op
    # finishes long before its next slot, unless the pool is far behind.
    defaults: dict[str, Any] = {"coalesce": False, "max_instances": 100}
    if misfire_grace is None:
        defaults["misfire_grace_time"] = None
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")},
        executors={"default": ThreadPoolExecutor(args.concurrency)},
        job_defaults=defaults,
        timezone=UTC,
    )
    scheduler.start(paused=True)
    count = args.rate * PERIOD
    first_slots: list[datetime] = []
    for n in range(count):
        trigger = CronTrigger(second=f"{n % PERIOD}/{PERIOD}", timezone=UTC)
        job = scheduler.add_job(aps_job, trigger, args=[n], id=f"job{n}")
        first_slots.append(job.next_run_time)
    _APS_STARTS.clear()
    scheduler.resume()
    window = window_after(args.warmup, args.duration)
    sleep_until(window.start)
    cpu = time.process_time()
    sleep_until(window.end)
    cpu = time.process_time() - cpu
    sleep_until(window.end + timedelta(seconds=args.drain))
    scheduler.shutdown(wait=True)
    starts_by_job: dict[int, list[float]] = defaultdict(list)
    in_window = 0
    for n, at in list(_APS_STARTS):
        starts_by_job[n].append(at)
        in_window += window.start.timestamp() <= at < window.end.timestamp()
    expected = missed = 0
    lags: list[float] = []
    for n, first in enumerate(first_slots):
        starts = sorted(starts_by_job[n])
        for slot in window.slots(n % PERIOD):
            expected += 1
            if misfire_grace is None:
                # Every slot runs, in order: the i-th start is the i-th slot since the first.
                index = round((slot - first).total_seconds() / PERIOD)
                start = starts[index] if 0 <= index < len(starts) else None
            else:
                # Late slots are dropped: a start belongs to the latest slot before it.
                start = next((at for at in starts if slot.timestamp() <= at), None)
                if start is not None and start - slot.timestamp() >= PERIOD:
                    start = None
            lag = None if start is None else start - slot.timestamp()
            if lag is None or lag > args.drain:
                missed += 1
            if lag is not None:
                lags.append(lag)
    label = "none" if misfire_grace is None else f"{misfire_grace} s (default)"
    return Result(
        name=f"APScheduler 3, SQLite, grace {label}, {args.rate}/s",
        expected=expected,
        missed=missed,
        duplicated=None,
        lags=lags,
        cpu_seconds=cpu,
        runs_in_window=in_window,
        window_seconds=window.seconds,
    )


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="runs per second (default 1000)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before the window")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument(
        "--drain", type=float, default=10.0, help="a slot not started this late is missed"
    )
    parser.add_argument(
        "--backend",
        nargs="+",
        choices=["sqlite", "postgres", "apscheduler"],
        default=["sqlite", "apscheduler"],
    )
    parser.add_argument("--processes", type=int, default=2, help="PostgreSQL processes")
    parser.add_argument("--pg-fsync", choices=["on", "off", "both"], default="on")
    parser.add_argument("--concurrency", type=int, default=16, help="worker threads per process")
    parser.add_argument(
        "--aps-default-grace",
        action="store_true",
        help="also APScheduler with its default misfire grace (1 s)",
    )
    parser.add_argument("--node", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--window", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # "skipped: late" per slot
    if args.node:
        start, end = (datetime.fromisoformat(at) for at in args.window)
        node(args.node, args.record, Window(start, end), args.concurrency)
        return
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-ontime-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in args.backend:
            results.append(cronwright_sqlite(args, workdir))
            print(results[-1].line(), flush=True)
        if "postgres" in args.backend:
            for durable in {"on": [True], "off": [False], "both": [True, False]}[args.pg_fsync]:
                results.append(cronwright_postgres(args, workdir, durable=durable))
                print(results[-1].line(), flush=True)
        if "apscheduler" in args.backend:
            results.append(apscheduler(args, workdir, misfire_grace=None))
            print(results[-1].line(), flush=True)
            if args.aps_default_grace:
                results.append(apscheduler(args, workdir, misfire_grace=1))
                print(results[-1].line(), flush=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
