"""A cluster of real processes on one PostgreSQL database: ``scheduler``, two ``worker`` s and
``api``; schedules created through the API run on both workers, every slot once, and SIGTERM
stops every process with status 0."""

from __future__ import annotations

import re
import signal
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cronwright import domain, service
from cronwright.clock import SystemClock
from cronwright.store.catalog import sql_catalog
from cronwright.testing.postgres import PostgresCluster, free_port
from tests.system.e2e.processes import (
    Process,
    api_client,
    create_schedule,
    environment,
    run,
    runs,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
API_BANNER = re.compile(r"cronwright api: (http://\S+)")


def admin_token(url: str) -> str:
    """An organization and an admin key, made as an operator would before handing it out."""
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        services = service.Service.build(store, SystemClock())
        org = services.organizations.create("acme")
        return services.organizations.issue_api_key(
            org.id, name="ops", role=domain.Role.ADMIN
        ).token
    finally:
        store.close()


def test_scheduler_two_workers_and_api_run_schedules_made_through_the_api(
    pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = pg_cluster.create_database("cw_e2e_cluster")
    env = environment(
        database_url=url,
        python_modules="cronwright.examples.demo",
        worker_concurrency="1",
        poll_interval="0.2",
        tick_interval="1",
        shutdown_grace="10s",
    )
    upgraded = run(["db", "upgrade"], env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    token = admin_token(url)
    metrics_port, scheduler_metrics_port = free_port(), free_port()
    with ExitStack() as stack:
        processes: dict[str, Process] = {}
        for name, args in [
            ("api", ["api", "--port", "0"]),
            ("scheduler", ["scheduler", "--metrics-port", str(scheduler_metrics_port)]),
            ("worker-1", ["worker", "--metrics-port", str(metrics_port)]),
            ("worker-2", ["worker"]),
        ]:
            processes[name] = Process(args, cwd=tmp_path, env=env)
            stack.callback(processes[name].stop)

        def everyone() -> str:
            return "\n".join(p.describe() for p in processes.values())

        base_url = processes["api"].wait_for_output(API_BANNER).group(1)
        with api_client(base_url, token) as client:
            # Each run takes a second and each worker runs one at a time: both must work.
            made = create_schedule(
                client,
                "every second",
                "* * * * * *",
                [{"name": "work", "kind": "python", "config": {"function": "demo.sleep"}}],
                input={"seconds": 0.8},
            )

            def enough() -> list[dict[str, object]] | None:
                for process in processes.values():
                    process.check_alive()
                done = runs(client, schedule_id=made["id"], state="succeeded")
                workers = {run["worker_id"] for run in done}
                return done if len(done) >= 8 and len(workers) == 2 else None

            succeeded = wait_until(enough, 90, everyone)
            every = runs(client, schedule_id=made["id"])
            # The API process refreshes the cluster-wide gauges from the database periodically.
            wait_until(
                lambda: (
                    'cronwright_runs{state="succeeded"}'
                    in httpx.get(f"{base_url}/metrics", timeout=10).text
                ),
                30,
                everyone,
            )

        # A worker without an API serves its own metrics when given a port.
        worker_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        finished = re.search(
            r'^cronwright_runs_finished_total\{state="succeeded"\} (\S+)$', worker_metrics, re.M
        )
        assert finished is not None
        assert float(finished.group(1)) >= 1

        scheduler_metrics = httpx.get(
            f"http://127.0.0.1:{scheduler_metrics_port}/metrics", timeout=10
        ).text
        ticks = re.search(
            r"^cronwright_scheduler_tick_duration_seconds_count (\S+)$", scheduler_metrics, re.M
        )
        assert ticks is not None
        assert float(ticks.group(1)) >= 1

        worker_pids = {processes[w].popen.pid for w in ("worker-1", "worker-2")}
        assert {int(str(r["worker_id"]).split(":")[1]) for r in succeeded} == worker_pids
        # Every second from the first slot to the last has exactly one run.
        slots = sorted(datetime.fromisoformat(str(r["scheduled_for"])) for r in every)
        assert slots == [slots[0] + timedelta(seconds=n) for n in range(len(slots))]

        for process in processes.values():
            process.signal(signal.SIGTERM)
        codes = {name: process.wait(timeout=60) for name, process in processes.items()}
        assert codes == dict.fromkeys(processes, 0), everyone()
    for name in ("worker-1", "worker-2"):
        assert re.search(r"run \d+ finished: succeeded", processes[name].stderr)
