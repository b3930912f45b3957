"""``cronwright status``: the live workers of a database, what each can execute, the health of
their processes' loops, and the runs waiting for a worker able to execute them.

Exit status 1 when a live worker's process reports a loop failing or stalled, or runs wait for
a worker that can execute them (scripts and probes can check it); 0 otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from cronwright import domain
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    EXIT_ERROR,
    Json,
    Url,
    emit_json,
    opened,
    print_table,
    say,
    when,
)

LIVE_WINDOW = timedelta(seconds=60)


def command(
    invoked: typer.Context,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
    live_within: Annotated[
        int, typer.Option("--live-within", min=1, help="Seconds since a live worker's heartbeat.")
    ] = int(LIVE_WINDOW.total_seconds()),
) -> None:
    """Show live workers, their capabilities and loop health, and runs no worker can execute."""
    with opened(invoked, url) as ctx:
        runs = ctx.root.run_queue()
        now = ctx.clock.now()
        workers = runs.live_workers(since=now - timedelta(seconds=live_within))
        waiting = runs.waiting_for_workers()
    unhealthy = [
        f"{worker.id}: {loop['name']} {loop['state']}"
        for worker in workers
        for loop in _loops(worker.loops)
        if loop.get("state") in ("failing", "stalled")
    ]
    if as_json:
        emit_json(
            {
                "workers": [
                    {
                        "id": worker.id,
                        "host": worker.host,
                        "pid": worker.pid,
                        "started_at": worker.started_at,
                        "heartbeat_at": worker.heartbeat_at,
                        "capabilities": None
                        if worker.capabilities is None
                        else worker.capabilities.to_json(),
                        "loops": _loops(worker.loops),
                    }
                    for worker in workers
                ],
                "waiting_for_workers": waiting,
                "problems": unhealthy,
            }
        )
    else:
        print_table(
            ["worker", "heartbeat", "can run", "loops"],
            [
                [
                    f"{worker.id} (pid {worker.pid})",
                    when(worker.heartbeat_at),
                    _can_run(worker),
                    ", ".join(f"{loop['name']} {loop['state']}" for loop in _loops(worker.loops)),
                ]
                for worker in workers
            ],
            title=f"{len(workers)} live worker(s)",
        )
        for reason, count in waiting.items():
            say(f"{count} run(s) {reason}")
        for problem in unhealthy:
            say(f"unhealthy loop: {problem}")
    if unhealthy or waiting:
        raise typer.Exit(EXIT_ERROR)


def _loops(raw: Any) -> list[dict[str, Any]]:
    return [loop for loop in raw if isinstance(loop, dict)] if isinstance(raw, list) else []


def _can_run(worker: domain.LiveWorker) -> str:
    if worker.capabilities is None:
        return "anything"
    kinds = sorted(worker.capabilities.kinds)
    functions = sorted(worker.capabilities.python_functions)
    return ", ".join(kinds) + (f"; python: {', '.join(functions)}" if functions else "")
