"""The start path alone: runs claimed ahead, all due at one instant, started by one worker.

    python benchmarks/bench_starts.py [--runs 1000] [--concurrency 16] [--repeat 3]

No database: an in-memory run queue hands the worker ``--runs`` runs of a one-step python
workflow, all due at the same whole second, which it claims ahead, holds and starts at their
time, with its real threads (timed starts, runners, group-commit writer) and the system clock.
Each no-op action records its own start; the lag is that start minus the runs' time, as in
``bench_ontime.py``. "Per start" is the time between the first and the last start divided by
the runs: what each start costs the process at the fire time.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from cronwright import actions, domain
from cronwright import clock as clocks
from cronwright.engine.executor import Executor
from cronwright.engine.worker import Worker
from cronwright.engine.writer import GroupCommitWriter

_STARTS: list[float] = []


def record_start(ctx: actions.StepContext) -> None:
    _STARTS.append(time.time())


class MemoryQueue:
    """Just enough of a run queue: every run is due at ``at`` and is claimed ahead."""

    def __init__(self, registry: actions.ActionRegistry, at: datetime, count: int) -> None:
        self.at = at
        definition = domain.parse_definition(
            {"steps": [{"name": "noop", "kind": "python", "config": {"function": "noop"}}]},
            kinds=registry.kinds,
            check_config=registry.check_config,
        )
        self.pending = [
            domain.ClaimedRun(
                run=domain.Run(
                    id=domain.RunId(n),
                    org_id=domain.OrganizationId(1),
                    workflow_id=domain.WorkflowId(1),
                    schedule_id=None,
                    schedule_version_id=None,
                    trigger=domain.Trigger.SCHEDULE,
                    scheduled_for=at,
                    available_at=at,
                    state=domain.RunState.RUNNING,
                    reason=None,
                    attempt=1,
                    max_attempts=3,
                    worker_id="bench",
                    lease_expires_at=None,
                    started_at=at,
                    finished_at=None,
                    input={"n": n},
                    result=None,
                    error=None,
                    created_at=at,
                ),
                definition=definition,
                timeout=timedelta(minutes=1),
            )
            for n in range(1, count + 1)
        ]

    def register_worker(self, *args: Any, **kwargs: Any) -> None: ...

    def unregister_worker(self, worker_id: str) -> None: ...

    def claim(self, worker_id: str, *, ahead_limit: int = 0, **kwargs: Any) -> list[Any]:
        taken, self.pending = self.pending[:ahead_limit], self.pending[ahead_limit:]
        return taken

    def next_available_at(self, *, after: datetime) -> datetime | None:
        return self.at if self.pending and self.at > after else None

    def pending_within(self, *, since: datetime, until: datetime) -> int:
        return len(self.pending) if since <= self.at <= until else 0

    def heartbeat(self, *args: Any, **kwargs: Any) -> set[domain.RunId]:
        return set()

    def write_batch(self, steps: Any, finishes: Collection[Any]) -> list[None]:
        return [None for _ in finishes]

    def release(self, *args: Any, **kwargs: Any) -> list[domain.RunId]:
        return []


def one_second(count: int, concurrency: int) -> list[float]:
    """The lags (seconds) of ``count`` runs due at the same instant."""
    functions = actions.PythonFunctions()
    functions.register("noop", record_start)
    registry = actions.default_registry(functions)
    clock = clocks.SystemClock()
    at = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    runs: Any = MemoryQueue(registry, at, count)
    writer = GroupCommitWriter(runs)
    worker = Worker(
        runs,
        Executor(registry, clock, writer),
        clock,
        concurrency=concurrency,
        writer=writer,
        claim_ahead=timedelta(seconds=1),
        hold=max(2000, count),
    )
    _STARTS.clear()
    worker.start()
    while len(_STARTS) < count and datetime.now(UTC) < at + timedelta(seconds=10):
        time.sleep(0.05)
    worker.stop(timedelta(seconds=1))
    return sorted(started - at.timestamp() for started in _STARTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.repeat):
        lags = one_second(args.runs, args.concurrency)

        def ms(q: float, lags: list[float] = lags) -> float:
            return 1000 * lags[min(len(lags) - 1, round(q * (len(lags) - 1)))]

        per_start = (lags[-1] - lags[0]) / len(lags) * 1e6 if lags else float("nan")
        print(
            f"{len(lags)} of {args.runs} started, lag first {ms(0):.1f} p50 {ms(0.5):.1f} "
            f"p99 {ms(0.99):.1f} max {ms(1):.1f} ms, {per_start:.0f} us per start "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
