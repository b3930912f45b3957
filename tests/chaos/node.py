"""One node of the chaos cluster: scheduler loop, worker pool and reaper against one database.

    python -m tests.chaos.node URL [--concurrency 4] [--lease 4] [--heartbeat 1]
        [--global-limit N]

Registers the python action ``chaos.work`` (sleeps ``input["sleep"]`` seconds, default 0) and
runs :class:`cronwright.App` until SIGTERM/SIGINT (graceful) or SIGKILL (the point of the test).
Prints ``READY`` once its loops are running. If the database is down when the node starts (a
restart in progress), it keeps trying to connect for a while instead of exiting.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import timedelta

import sqlalchemy as sa

from cronwright import App, actions
from cronwright.clock import SystemClock
from cronwright.engine import reaper

ACTION = "chaos.work"
CONNECT_FOR = 60.0  # seconds to keep trying to reach the database at start-up


def work(ctx: actions.StepContext) -> dict[str, int]:
    seconds = ctx.input.get("sleep", 0)
    assert isinstance(seconds, int | float)
    if seconds:
        ctx.stop.wait(float(seconds))
    return {"run": int(ctx.run_id), "attempt": ctx.attempt}


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
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(process)d %(name)s: %(message)s"
    )
    app = build(args)
    app.action(ACTION)(work)
    # Reap every second rather than every 5 s, so expired leases come back within the test.
    app.reaper = reaper.Reaper(app.queue, SystemClock(), interval=timedelta(seconds=1))
    print("READY", flush=True)
    app.run()  # until SIGTERM/SIGINT; then stop claiming, finish or release, exit 0


if __name__ == "__main__":
    main()
