"""One node of the chaos cluster: scheduler loop, worker pool and reaper against one database.

    python -m tests.system.chaos.node URL [--concurrency 4] [--lease 4] [--heartbeat 1]
        [--global-limit N] [--skew SECONDS]

Registers the python action ``chaos.work`` (sleeps ``input["sleep"]`` seconds, default 0; with
``CHAOS_EXECUTIONS`` naming a file, appends a line ``run attempt pid`` per completed execution)
and runs :class:`cronwright.App` until SIGTERM/SIGINT (graceful) or SIGKILL (the point of the
test). Prints ``READY`` once its loops are running. ``--skew`` sets this host's wall clock that
many seconds off (what every ``SystemClock`` reads): the engine must not care. If the database is
down when the node starts (a restart in progress), it keeps trying to connect for a while
instead of exiting.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from datetime import timedelta

import sqlalchemy as sa

from cronwright import App, actions
from cronwright.clock import SystemClock
from cronwright.engine import reaper

ACTION = "chaos.work"
CONNECT_FOR = 60.0  # seconds to keep trying to reach the database at start-up


EXECUTIONS = os.environ.get("CHAOS_EXECUTIONS")


def work(ctx: actions.StepContext) -> dict[str, int]:
    seconds = ctx.input.get("sleep", 0)
    assert isinstance(seconds, int | float)
    if seconds:
        ctx.stop.wait(float(seconds))
    if EXECUTIONS and not ctx.stop.is_set():
        # One short line per completed execution, appended at once (O_APPEND: no interleaving).
        line = f"{int(ctx.run_id)} {ctx.attempt} {os.getpid()}\n".encode()
        descriptor = os.open(EXECUTIONS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
    return {"run": int(ctx.run_id), "attempt": ctx.attempt}


def skew_host_clock(seconds: float) -> None:
    """Make every ``SystemClock`` of this process read ``seconds`` off the true time."""
    offset = timedelta(seconds=seconds)
    real = SystemClock.now
    SystemClock.now = lambda self: real(self) + offset  # type: ignore[method-assign]


def build(args: argparse.Namespace) -> App:
    deadline = time.monotonic() + CONNECT_FOR
    while True:
        try:
            return App(
                args.url,
                migrate=False,
                concurrency=args.concurrency,
                global_max_concurrent_runs=args.global_limit,
                lease=timedelta(seconds=args.lease),
                heartbeat=timedelta(seconds=args.heartbeat),
                poll_interval=timedelta(seconds=0.25),
                shutdown_grace=timedelta(seconds=2),
            )
        except sa.exc.DBAPIError:
            if time.monotonic() > deadline:
                raise
            logging.getLogger(__name__).warning("database not reachable yet; retrying")
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=4.0)
    parser.add_argument("--heartbeat", type=float, default=1.0)
    parser.add_argument("--global-limit", type=int, default=None)
    parser.add_argument("--skew", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.skew:
        skew_host_clock(args.skew)

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(process)d %(name)s: %(message)s"
    )
    app = build(args)
    app.action(ACTION)(work)
    # Reap every second rather than every 5 s, so expired leases come back within the test.
    app.reaper = reaper.Reaper(
        app.queue,
        app.root.clock(),  # the process's clock: the database's on PostgreSQL
        interval=timedelta(seconds=1),
        live_window=timedelta(seconds=args.lease),
    )
    print("READY", flush=True)
    app.run()  # until SIGTERM/SIGINT; then stop claiming, finish or release, exit 0


if __name__ == "__main__":
    main()
