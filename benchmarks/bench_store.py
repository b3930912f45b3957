"""Store benchmark: create many schedules through the service, then list and filter them.

    python benchmarks/bench_store.py                  # 100,000 schedules on a fresh SQLite file
    python benchmarks/bench_store.py --postgres       # the same on a throwaway PostgreSQL cluster
    python benchmarks/bench_store.py --count 20000 --batch 500

Reports inserts per second (each schedule with its version snapshot and audit event, validated
and with its next fire time computed), page fetch latency for unfiltered and filtered lists at
the start and at the end of the id range, and the size of the SQLite file.
Targets on a 2-core machine: 100,000 schedules in under 30 s on SQLite; every page under 20 ms.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.testing.postgres import PostgresCluster

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
WORKFLOWS = 10
PAGE = 100


def make_spec(n: int, workflows: list[domain.Workflow]) -> domain.ScheduleSpec:
    return domain.ScheduleSpec(
        workflow_id=workflows[n % len(workflows)].id,
        name=f"report {n:06d}",
        cron=f"{n % 60} {n // 60 % 24} * * *",
        timezone=ZONES[n % len(ZONES)],
        paused=n % 7 == 0,
        input={"customer": n},
    )


def timed_pages(
    fetch: Callable[[str | None], domain.Page[domain.Schedule]], pages: int
) -> list[float]:
    """Fetch ``pages`` successive pages; the latency of each in milliseconds."""
    latencies, cursor = [], None
    for _ in range(pages):
        started = time.perf_counter()
        page = fetch(cursor)
        latencies.append((time.perf_counter() - started) * 1000)
        cursor = page.next_cursor
        if cursor is None:
            break
    return latencies


def run(url: str, count: int, batch: int, sqlite_file: Path | None) -> None:
    migrations.upgrade(url)
    store = sql_catalog.SqlCatalog.from_url(url)
    svc = service.Service.build(store, FakeClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC)))
    org = svc.organizations.create("bench", max_schedules=count)
    steps = {"steps": [{"name": "call", "kind": "http"}]}
    workflows = [
        svc.workflows.create(org.id, name=f"w{n}", definition=steps) for n in range(WORKFLOWS)
    ]

    started = time.perf_counter()
    for first in range(0, count, batch):
        specs = [make_spec(n, workflows) for n in range(first, min(first + batch, count))]
        svc.schedules.create_many(org.id, specs, author="bench")
    elapsed = time.perf_counter() - started
    print(f"created {count:,} schedules in {elapsed:.1f} s: {count / elapsed:,.0f} schedules/s")

    last_page_cursor = service.paging.encode_cursor(count - 5 * PAGE)  # ids are 1..count here
    cases: dict[str, Callable[[str | None], domain.Page[domain.Schedule]]] = {
        "all": lambda c: svc.schedules.list(org.id, cursor=c, limit=PAGE),
        "all, last pages": lambda c: svc.schedules.list(
            org.id, cursor=c or last_page_cursor, limit=PAGE
        ),
        "by workflow": lambda c: svc.schedules.list(
            org.id, domain.ScheduleFilter(workflow_id=workflows[3].id), cursor=c, limit=PAGE
        ),
        "paused": lambda c: svc.schedules.list(
            org.id, domain.ScheduleFilter(paused=True), cursor=c, limit=PAGE
        ),
        "name contains": lambda c: svc.schedules.list(
            org.id, domain.ScheduleFilter(name_contains="42"), cursor=c, limit=PAGE
        ),
    }
    # Collect the garbage the inserts left now, so a collection does not land inside a timing.
    gc.collect()
    print(f"page fetch latency, {PAGE} schedules per page (ms):")
    worst = 0.0
    for name, fetch in cases.items():
        timed_pages(fetch, 3)  # warm caches
        latencies = timed_pages(fetch, 50)
        worst = max(worst, max(latencies))
        print(
            f"  {name:<16} pages={len(latencies):>3} median={statistics.median(latencies):6.2f}"
            f" p95={sorted(latencies)[int(len(latencies) * 0.95) - 1]:6.2f}"
            f" max={max(latencies):6.2f}"
        )
    print(f"worst page: {worst:.2f} ms (target < 20 ms)")
    store.close()
    if sqlite_file is not None:
        size = sum(p.stat().st_size for p in sqlite_file.parent.glob(sqlite_file.name + "*"))
        print(f"SQLite file: {size / 1e6:.1f} MB ({size / count:,.0f} bytes per schedule)")
        print(f"target: {count:,} in < 30 s on SQLite -> {'met' if elapsed < 30 else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true", help="use a throwaway cluster")
    args = parser.parse_args()
    if args.postgres:
        with PostgresCluster.start() as cluster:
            print(f"PostgreSQL ({cluster.bin_dir})")
            run(cluster.create_database("bench"), args.count, args.batch, None)
        return
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        print(f"SQLite ({path})")
        run(f"sqlite:///{path}", args.count, args.batch, path)


if __name__ == "__main__":
    main()
