"""Engine benchmark: a burst of schedules all due in the same second, against APScheduler 3.

    python benchmarks/bench_engine.py                       # SQLite + APScheduler + idle CPU
    python benchmarks/bench_engine.py --postgres            # also PostgreSQL, 2 worker processes
    python benchmarks/bench_engine.py --postgres --pg-fsync both   # durable and fsync=off
    python benchmarks/bench_engine.py --schedules 2000 --idle-schedules 0 --no-idle
    python benchmarks/bench_engine.py --quick                # 2,000 schedules, SQLite only

Burst: ``--schedules`` schedules (10,000 by default) whose 6-field expression (``S M H * * *``)
fires at one chosen second T, a no-op python action each. Reported: when the last run was
created (materialised) and when the last one finished, relative to T; executions per second
(schedules / (last finish - T)); when every outcome was committed (the database polled every
50 ms: finishes are written in batches, after the starts of a burst); dispatch lag
(``started_at - scheduled_for``, the real start: a run claimed ahead that waited for a runner
has its later start written) p50/p99; how many runs ended other than ``succeeded``; how many
succeeded runs have their step recorded. "Created" is the ``created_at`` of the last run: the
time of the scheduler tick that wrote it, not of its commit.

- cronwright on SQLite: one process (``cronwright.App``: scheduler, worker threads, reaper).
- cronwright on PostgreSQL (``--postgres``): a throwaway cluster, 2 processes each running
  ``cronwright.App`` (scheduler + workers). ``--pg-fsync on`` (default) runs the server as
  users do (``fsync``, ``synchronous_commit``, ``full_page_writes`` on); ``off`` as the tests
  run it, which flatters every figure; ``both`` runs each.
- APScheduler 3: ``BackgroundScheduler``, ``SQLAlchemyJobStore`` on a SQLite file, a
  ``ThreadPoolExecutor``, the same number of cron jobs due at one second; once with
  ``misfire_grace_time=None`` (every job runs) and once with the default grace of 1 s (counting
  how many of the burst ran at all).
- Idle: a process holding ``--idle-schedules`` schedules (100,000) with none due for years runs
  its scheduler, workers and reaper for ``--idle-seconds``; the CPU time it used.

Targets (2 cores): every run executed and recorded, none missed, at >= 10x APScheduler's
throughput with a lag p99 <= 1 s; idle under 1% of a core. The ratio is printed twice: to the
last finish (APScheduler's figure is to its last job's start), and to the last commit.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cronwright import App, actions, domain
from cronwright.store.database import dialect
from cronwright.store.database.schema import RunRow, RunStepRow
from cronwright.testing.postgres import PostgresCluster

NOOP = "bench.noop"
CONCURRENCY = 16  # worker threads per cronwright process, and APScheduler's pool
CONCURRENCY_VARIABLE = "BENCH_ENGINE_CONCURRENCY"


def concurrency() -> int:
    return int(os.environ.get(CONCURRENCY_VARIABLE, CONCURRENCY))


BIG_QUOTA = 1_000_000
DRAIN_TIMEOUT = 300.0


def noop(ctx: actions.StepContext) -> None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    name: str
    count: int
    executed: int
    not_succeeded: dict[str, int]
    created_by: float | None  # seconds after T when the last run was written (negative: before)
    finished_by: float  # seconds after T when the last execution finished
    lag_p50: float
    lag_p99: float
    setup: float  # seconds to create the schedules / add the jobs
    recorded: int | None = None  # succeeded runs with a step record (cronwright only)
    committed_by: float | None = None  # seconds after T when every outcome was committed
    # The first step's own start minus T (cronwright only): a run claimed ahead has its planned
    # start as ``started_at``, whenever a runner took it.
    step_p50: float | None = None
    step_p99: float | None = None

    @property
    def throughput(self) -> float:
        return self.executed / self.finished_by if self.finished_by > 0 else float("inf")

    @property
    def committed_throughput(self) -> float | None:
        """Runs a second counted to the commit of the last outcome, not the last finish."""
        if self.committed_by is None:
            return None
        return self.executed / self.committed_by if self.committed_by > 0 else float("inf")

    def line(self) -> str:
        created = "" if self.created_by is None else f"all created T{self.created_by:+.2f} s, "
        return (
            f"{self.name:<34} {self.executed:>6}/{self.count} executed, "
            + ("" if self.recorded is None else f"{self.recorded} recorded, ")
            + f"{created}"
            f"all finished T+{self.finished_by:.2f} s, "
            + ("" if self.committed_by is None else f"committed T+{self.committed_by:.2f} s, ")
            + f"{self.throughput:,.0f} exec/s, "
            f"lag p50 {self.lag_p50:.2f} s p99 {self.lag_p99:.2f} s"
            + (
                ""
                if self.step_p99 is None
                else f", step start p50 {self.step_p50:.2f} s p99 {self.step_p99:.2f} s"
            )
            + (f", other states {self.not_succeeded}" if self.not_succeeded else "")
            + f" (setup {self.setup:.1f} s)"
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fire_second(lead: float) -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)


def at_second(at: datetime) -> str:
    return f"{at.second} {at.minute} {at.hour} * * *"


# -- cronwright ---------------------------------------------------------------------------------


def create_burst(app: App, count: int, fire_at: datetime) -> float:
    """``count`` schedules firing at ``fire_at`` (once a day), created in bulk; seconds taken."""
    started = time.perf_counter()
    org = app.organization
    app.service.organizations.set_quotas(
        org.id, max_schedules=BIG_QUOTA, max_concurrent_runs=BIG_QUOTA
    )
    definition = {"steps": [{"name": "noop", "kind": "python", "config": {"function": NOOP}}]}
    workflow = app.service.workflows.create(org.id, name="burst", definition=definition)
    cron = at_second(fire_at)
    for start in range(0, count, 5000):
        specs = [
            domain.ScheduleSpec(
                workflow_id=workflow.id, name=f"burst {n}", cron=cron, input={"n": n}
            )
            for n in range(start, min(count, start + 5000))
        ]
        app.service.schedules.create_many(org.id, specs, author="bench")
    return time.perf_counter() - started


def wait_for_runs(url: str, count: int, fire_at: datetime) -> float:
    """Seconds after ``fire_at`` when every run had its outcome committed (to 50 ms)."""
    engine = dialect.create_engine(url)
    done_states = [domain.RunState.PENDING.value, domain.RunState.RUNNING.value]
    deadline = (
        time.monotonic() + DRAIN_TIMEOUT + max(0, (fire_at - datetime.now(UTC)).total_seconds())
    )
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                total, open_ = connection.execute(
                    sa.select(
                        sa.func.count(), sa.func.count().filter(RunRow.state.in_(done_states))
                    )
                ).one()
            if total >= count and open_ == 0:
                return (datetime.now(UTC) - fire_at).total_seconds()
            time.sleep(0.05)
        raise TimeoutError(f"runs not finished: {total} created, {open_} open")
    finally:
        engine.dispose()


def burst_result(
    name: str, url: str, count: int, fire_at: datetime, setup: float, committed_by: float
) -> Burst:
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(RunRow.state, RunRow.created_at, RunRow.started_at, RunRow.finished_at)
            ).all()
            recorded = connection.execute(
                sa.select(sa.func.count(sa.distinct(RunStepRow.run_id))).where(
                    RunStepRow.run_id.in_(
                        sa.select(RunRow.id).where(RunRow.state == domain.RunState.SUCCEEDED.value)
                    )
                )
            ).scalar_one()
            step_starts = connection.execute(
                sa.select(sa.func.min(RunStepRow.started_at)).group_by(RunStepRow.run_id)
            ).scalars()
            step_lags = [(at - fire_at).total_seconds() for at in step_starts if at is not None]
    finally:
        engine.dispose()
    succeeded = [r for r in rows if r.state == domain.RunState.SUCCEEDED.value]
    others: dict[str, int] = {}
    for r in rows:
        if r.state != domain.RunState.SUCCEEDED.value:
            others[r.state] = others.get(r.state, 0) + 1
    lags = [(r.started_at - fire_at).total_seconds() for r in succeeded]
    return Burst(
        name=name,
        count=count,
        executed=len(succeeded),
        not_succeeded=others,
        created_by=(max(r.created_at for r in rows) - fire_at).total_seconds(),
        finished_by=(max(r.finished_at for r in rows) - fire_at).total_seconds(),
        lag_p50=percentile(lags, 0.5),
        lag_p99=percentile(lags, 0.99),
        setup=setup,
        recorded=int(recorded),
        step_p50=percentile(step_lags, 0.5),
        step_p99=percentile(step_lags, 0.99),
        committed_by=committed_by,
    )


def new_app(url: str, *, migrate: bool = True) -> App:
    app = App(
        url,
        migrate=migrate,
        concurrency=concurrency(),
        poll_interval=timedelta(seconds=1),
        shutdown_grace=timedelta(seconds=5),
    )
    app.action(NOOP)(noop)
    return app


def cronwright_sqlite(count: int, workdir: Path) -> Burst:
    url = f"sqlite:///{workdir / 'cronwright.db'}"
    app = new_app(url)
    try:
        fire_at = fire_second(lead=8 + count / 2500)
        setup = create_burst(app, count, fire_at)
        check_lead(fire_at)
        app.start()
        try:
            committed_by = wait_for_runs(url, count, fire_at)
        finally:
            app.stop()
        return burst_result(
            "cronwright, SQLite, 1 process", url, count, fire_at, setup, committed_by
        )
    finally:
        app.close()


def cronwright_postgres(count: int, processes: int, *, durable: bool) -> Burst:
    with PostgresCluster.start(durable=durable) as cluster:
        url = cluster.create_database("bench_engine")
        app = new_app(url)
        try:
            fire_at = fire_second(lead=15 + count / 1500)
            setup = create_burst(app, count, fire_at)
        finally:
            app.close()
        nodes = [
            subprocess.Popen([sys.executable, __file__, "--node", url]) for _ in range(processes)
        ]
        try:
            check_lead(fire_at)
            committed_by = wait_for_runs(url, count, fire_at)
        finally:
            for node in nodes:
                node.send_signal(signal.SIGTERM)
            for node in nodes:
                node.wait(timeout=60)
        return burst_result(
            f"cronwright, PostgreSQL ({'fsync on' if durable else 'fsync off'}), {processes} "
            "processes",
            url,
            count,
            fire_at,
            setup,
            committed_by,
        )


def check_lead(fire_at: datetime) -> None:
    left = (fire_at - datetime.now(UTC)).total_seconds()
    if left < 2:
        raise SystemExit(f"setup took too long: T is {left:.1f} s away; lower --schedules")


def node(url: str) -> None:
    """A PostgreSQL worker process: scheduler + workers + reaper until SIGTERM."""
    app = new_app(url, migrate=False)
    try:
        app.run()
    finally:
        app.close()


# -- APScheduler 3 -------------------------------------------------------------------------------


_APS_EXECUTED: list[float] = []
_APS_LOCK = threading.Lock()


def aps_job() -> None:
    """APScheduler's job: a module-level function, so its job store can pickle a reference."""
    at = time.time()
    with _APS_LOCK:
        _APS_EXECUTED.append(at)


def apscheduler_burst(count: int, workdir: Path, *, misfire_grace: int | None) -> Burst:
    from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
    from apscheduler.jobstores.sqlalchemy import (  # type: ignore[import-untyped]
        SQLAlchemyJobStore,
    )
    from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
        BackgroundScheduler,
    )
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    path = workdir / f"apscheduler-{misfire_grace}.db"
    executed = _APS_EXECUTED
    executed.clear()
    lock = _APS_LOCK
    defaults: dict[str, Any] = {"coalesce": False, "max_instances": 1}
    if misfire_grace is None:
        defaults["misfire_grace_time"] = None
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")},
        executors={"default": ThreadPoolExecutor(concurrency())},
        job_defaults=defaults,
        timezone=UTC,
    )
    scheduler.start(paused=True)
    # Adding jobs writes one row each; give it enough time (measured on a probe first).
    probe = time.perf_counter()
    fire_at = fire_second(lead=3600)
    for n in range(min(200, count)):
        scheduler.add_job(aps_job, CronTrigger.from_crontab("0 0 1 1 *", timezone=UTC), id=f"p{n}")
    per_job = (time.perf_counter() - probe) / min(200, count)
    scheduler.remove_all_jobs()
    started = time.perf_counter()
    fire_at = fire_second(lead=5 + per_job * count * 1.5)
    trigger = CronTrigger(
        hour=fire_at.hour, minute=fire_at.minute, second=fire_at.second, timezone=UTC
    )
    for n in range(count):
        scheduler.add_job(aps_job, trigger, id=f"job{n}", next_run_time=fire_at)
    setup = time.perf_counter() - started
    check_lead(fire_at)
    scheduler.resume()
    limit = fire_at.timestamp() + (DRAIN_TIMEOUT if misfire_grace is None else 30)
    quiet_for = 0.0
    while time.time() < limit:
        time.sleep(0.2)
        with lock:
            done, last = len(executed), max(executed, default=0.0)
        if done >= count:
            break
        quiet_for = time.time() - max(last, fire_at.timestamp())
        if misfire_grace is not None and done and quiet_for > 10:
            break  # the rest were dropped as misfired
    scheduler.shutdown(wait=True)
    lags = [at - fire_at.timestamp() for at in executed]
    label = "none" if misfire_grace is None else f"{misfire_grace} s (default)"
    return Burst(
        name=f"APScheduler 3, grace {label}",
        count=count,
        executed=len(executed),
        not_succeeded={"dropped": count - len(executed)} if len(executed) < count else {},
        created_by=None,
        finished_by=max(lags, default=float("nan")),
        lag_p50=percentile(lags, 0.5),
        lag_p99=percentile(lags, 0.99),
        setup=setup,
    )


# -- idle ----------------------------------------------------------------------------------------


def idle_cpu(count: int, seconds: float, workdir: Path) -> tuple[float, float]:
    """CPU seconds used per wall second by the scheduler, workers and reaper of a process
    holding ``count`` schedules none of which is due (the next fire is in 2199)."""
    url = f"sqlite:///{workdir / 'idle.db'}"
    app = new_app(url)
    try:
        started = time.perf_counter()
        org = app.organization
        app.service.organizations.set_quotas(
            org.id, max_schedules=BIG_QUOTA, max_concurrent_runs=BIG_QUOTA
        )
        definition = {"steps": [{"name": "noop", "kind": "python", "config": {"function": NOOP}}]}
        workflow = app.service.workflows.create(org.id, name="idle", definition=definition)
        for start in range(0, count, 10_000):
            specs = [
                domain.ScheduleSpec(
                    workflow_id=workflow.id,
                    name=f"idle {n}",
                    cron=f"{n % 60} {n // 60 % 60} 0 1 1 * 2199",
                    input={"n": n},
                )
                for n in range(start, min(count, start + 10_000))
            ]
            app.service.schedules.create_many(org.id, specs, author="bench")
        setup = time.perf_counter() - started
        app.start()
        time.sleep(2)  # the first ticks
        cpu, wall = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        used = (time.process_time() - cpu) / (time.perf_counter() - wall)
        app.stop()
        return used, setup
    finally:
        app.close()


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--processes", type=int, default=2, help="PostgreSQL worker processes")
    parser.add_argument("--pg-fsync", choices=["on", "off", "both"], default="on")
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, help="worker threads per process"
    )
    parser.add_argument("--no-apscheduler", action="store_true")
    parser.add_argument("--no-idle", action="store_true")
    parser.add_argument("--idle-schedules", type=int, default=100_000)
    parser.add_argument("--idle-seconds", type=float, default=25.0)
    parser.add_argument("--only", choices=["sqlite", "postgres", "apscheduler", "idle"])
    parser.add_argument(
        "--quick", action="store_true", help="2,000 schedules on SQLite only (a minute or less)"
    )
    parser.add_argument("--node", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.schedules, args.only = min(args.schedules, 2000), "sqlite"
    logging.basicConfig(level=logging.WARNING)
    os.environ[CONCURRENCY_VARIABLE] = str(args.concurrency)  # for --node children too
    if args.node:
        node(args.node)
        return
    count = args.schedules
    wanted: Callable[[str], bool] = lambda part: args.only is None or args.only == part  # noqa: E731
    results: dict[str, Burst] = {}
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        workdir = Path(tmp)
        if wanted("sqlite"):
            results["sqlite"] = cronwright_sqlite(count, workdir)
            print(results["sqlite"].line(), flush=True)
        if args.postgres and wanted("postgres"):
            for durable in {"on": [True], "off": [False], "both": [True, False]}[args.pg_fsync]:
                key = "postgres" if durable else "postgres-fsync-off"
                results[key] = cronwright_postgres(count, args.processes, durable=durable)
                print(results[key].line(), flush=True)
        if not args.no_apscheduler and wanted("apscheduler"):
            results["aps"] = apscheduler_burst(count, workdir, misfire_grace=None)
            print(results["aps"].line(), flush=True)
            results["aps-default"] = apscheduler_burst(count, workdir, misfire_grace=1)
            print(results["aps-default"].line(), flush=True)
        if "aps" in results:
            aps = results["aps"]
            for key in ("sqlite", "postgres", "postgres-fsync-off"):
                if key in results:
                    ours = results[key]
                    committed = ours.committed_throughput
                    print(
                        f"ratio {ours.name} / APScheduler: throughput "
                        f"{ours.throughput / aps.throughput:.1f}x"
                        + (
                            ""
                            if committed is None
                            else f" ({committed / aps.throughput:.1f}x to the last commit)"
                        )
                        + f", lag p99 {ours.lag_p99:.2f} s vs {aps.lag_p99:.2f} s"
                    )
            dropped = results["aps-default"]
            print(
                f"APScheduler with its default 1 s misfire grace ran {dropped.executed} of "
                f"{count} ({100 * (count - dropped.executed) / count:.1f}% dropped, no record)"
            )
        if not args.no_idle and wanted("idle"):
            used, setup = idle_cpu(args.idle_schedules, args.idle_seconds, workdir)
            print(
                f"idle: {args.idle_schedules:,} schedules, none due: {100 * used:.2f}% of a core "
                f"over {args.idle_seconds:g} s (setup {setup:.1f} s)"
            )


if __name__ == "__main__":
    main()
