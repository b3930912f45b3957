"""Dashboard page time with a big organization: 10,000 schedules and 1,000,000 runs (100 slots
per schedule over the last 25 hours), on SQLite by default or on the PostgreSQL at ``--url``.

Each page is requested over HTTP on 127.0.0.1 by one client (uvicorn in a thread), after two
warm-up requests, and its median and slowest time are printed; the target is under 200 ms per
page.

    python benchmarks/bench_dashboard.py [--schedules 10000] [--runs 1000000] [--repeat 5]
    python benchmarks/bench_dashboard.py --postgres   (a throwaway cluster of the machine's initdb)
    python benchmarks/bench_dashboard.py --url postgresql+psycopg://.../bench   (an empty database)
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.store import migrations
from cronwright.store.database.schema import RunRow, ScheduleVersionRow
from cronwright.testing import postgres
from cronwright.testing.server import ServerThread
from cronwright.web import Alerts, mount_dashboard

STATES = ["succeeded"] * 90 + ["failed"] * 6 + ["timed_out", "cancelled", "skipped", "missed"]
WORKFLOWS = 20
BATCH = 20_000


def seed(
    container: Container, url: str, *, schedules: int, runs: int
) -> tuple[str, dict[str, Any]]:
    """An organization holding it all; its admin key, and ids to visit."""
    svc = container.service
    org = svc.organizations.create("big")
    svc.organizations.set_quotas(org.id, max_schedules=schedules + 10, max_concurrent_runs=50)
    token = svc.organizations.issue_api_key(org.id, name="bench", role=domain.Role.ADMIN).token
    steps = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}
    flows = [
        svc.workflows.create(org.id, name=f"flow {n}", definition=steps) for n in range(WORKFLOWS)
    ]
    made: list[domain.Schedule] = []
    for start in range(0, schedules, 1000):
        specs = [
            svc.schedules.new_spec(
                workflow_id=flows[n % WORKFLOWS].id,
                name=f"job {n}",
                cron=f"{n % 60} * * * *",
                input={"n": n},
            )
            for n in range(start, min(schedules, start + 1000))
        ]
        made += svc.schedules.create_many(org.id, specs, author="bench")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        query = sa.select(ScheduleVersionRow.schedule_id, ScheduleVersionRow.id)
        versions: dict[int, int] = {sid: vid for sid, vid in connection.execute(query)}  # noqa: C416
    now = container.clock.now()
    per_schedule = max(1, runs // max(1, len(made)))
    spacing = timedelta(hours=25) / per_schedule
    rows: list[dict[str, Any]] = []
    written = 0
    with engine.begin() as connection:
        for k in range(per_schedule):  # oldest slot first, so ids grow with time
            slot = now - spacing * (per_schedule - k)
            for n, schedule in enumerate(made):
                state = STATES[(n * 7 + k) % len(STATES)]
                ran = state not in ("skipped", "missed")
                rows.append(
                    {
                        "org_id": org.id,
                        "schedule_id": schedule.id,
                        "workflow_id": schedule.spec.workflow_id,
                        "schedule_version_id": versions[schedule.id],
                        "trigger": "schedule",
                        "scheduled_for": slot,
                        "available_at": slot,
                        "state": state,
                        "reason": None if state == "succeeded" else f"{state} in the benchmark",
                        "attempt": 1 if ran else 0,
                        "max_attempts": 3,
                        "started_at": slot if ran else None,
                        "finished_at": slot + timedelta(seconds=1 + n % 9),
                        "input": {"n": n},
                        "result": None,
                        "error": "boom" if state == "failed" else None,
                        "created_at": slot,
                    }
                )
                if len(rows) == BATCH:
                    connection.execute(sa.insert(RunRow), rows)
                    written += len(rows)
                    rows.clear()
        if rows:
            connection.execute(sa.insert(RunRow), rows)
            written += len(rows)
    if engine.dialect.name == "postgresql":
        # As autovacuum leaves a table that took a million inserts over a day: statistics, and
        # the visibility map that lets index-only scans skip the table.
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE runs")
            )
    with engine.connect() as connection:
        a_run = connection.execute(sa.select(sa.func.max(RunRow.id))).scalar_one()
    engine.dispose()
    print(f"seeded {len(made):,} schedules and {written:,} runs")
    ids = {
        "schedule": made[len(made) // 2].id,
        "workflow": flows[3].id,
        "run": a_run,
    }
    return token, ids


def pages(ids: dict[str, Any]) -> list[str]:
    s, w, r = ids["schedule"], ids["workflow"], ids["run"]
    return [
        "/ui/",
        "/ui/schedules",
        "/ui/schedules?name=job%209999",
        f"/ui/schedules/{s}",
        f"/ui/schedules/{s}/edit",
        "/ui/schedules/new",
        f"/ui/schedules/{s}/diff?old=1&new=1",
        "/ui/runs",
        "/ui/runs?state=failed",
        f"/ui/runs?schedule={s}",
        f"/ui/runs?workflow={w}&state=timed_out",
        "/ui/runs?trigger=backfill",
        "/ui/runs?state=running",
        f"/ui/runs/{r}",
        "/ui/workflows",
        f"/ui/workflows/{w}",
        f"/ui/workflows/{w}/diff?old=1&new=1",
        "/ui/templates",
        "/ui/templates/weekly-digest",
        "/ui/admin",
    ]


def measure(client: httpx.Client, path: str, repeat: int) -> tuple[float, float]:
    for _ in range(2):
        client.get(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if args.postgres:
            cluster = stack.enter_context(postgres.PostgresCluster.start())
            url = cluster.create_database("bench")
        migrations.upgrade(url)
        container = Container.from_url(url)
        began = time.perf_counter()
        token, ids = seed(container, url, schedules=args.schedules, runs=args.runs)
        print(f"seeding took {time.perf_counter() - began:.0f} s")
        app = create_app(container)
        mount_dashboard(
            app,
            container.service,
            container.clock,
            triggers=container.triggers,
            queue=container.queue,
            alerts=Alerts(channels=container.alert_channels, alerter=container.alerter),
            templates=container.templates,
            loops=container.loops,
        )
        with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
            form = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/ui/signin").text)
            assert form is not None
            signed = client.post(
                "/ui/signin",
                data={"api_key": token, "csrf": form.group(1)},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            print(f"{'page':<48} {'median ms':>10} {'max ms':>8}")
            worst = 0.0
            for path in pages(ids):
                median, slowest = measure(client, path, args.repeat)
                worst = max(worst, median)
                print(f"{path:<48} {median:>10.1f} {slowest:>8.1f}")
            print(f"slowest median: {worst:.1f} ms (target: under 200 ms)")
        container.close()


if __name__ == "__main__":
    main()
