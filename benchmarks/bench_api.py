"""API throughput and p99 latency with 16 concurrent clients on SQLite, against a bare FastAPI
endpoint returning a constant in the same run (the ratio is our overhead: auth, validation,
the database, serialisation).

    python benchmarks/bench_api.py [--seconds 5] [--clients 16]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.store import migrations
from cronwright.testing.server import ServerThread

Request = Callable[[httpx.Client, int], httpx.Response]


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/constant")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app


def measure(url: str, request: Request, *, clients: int, seconds: float) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of ``request`` from ``clients`` threads."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds
    counter = itertools.count()

    def work(slot: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = request(client, next(counter))
                latencies[slot].append(time.perf_counter() - started)
                assert response.status_code < 300, response.text

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    everything = sorted(itertools.chain.from_iterable(latencies))
    p99 = statistics.quantiles(everything, n=100)[98] * 1000
    return len(everything) / elapsed, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrations.upgrade(url)
        container = Container.from_url(url)
        service = container.service
        org = service.organizations.create("bench", max_schedules=1_000_000)
        token = service.organizations.issue_api_key(org.id, name="b", role=domain.Role.ADMIN).token
        workflow = service.workflows.create(
            org.id, name="w", definition={"steps": [{"name": "a", "kind": "http"}]}
        )
        ids = [
            service.schedules.create(
                org.id,
                domain.ScheduleSpec(
                    workflow_id=workflow.id, name=f"s{n}", cron="0 3 * * *", input={"n": n}
                ),
                author="bench",
            ).id
            for n in range(200)
        ]
        auth = {"Authorization": f"Bearer {token}"}
        cases: list[tuple[str, Request]] = [
            (
                "GET a schedule",
                lambda c, n: c.get(f"/api/v1/schedules/{ids[n % len(ids)]}", headers=auth),
            ),
            (
                "list 100 schedules",
                lambda c, n: c.get("/api/v1/schedules", params={"limit": 100}, headers=auth),
            ),
            (
                "create a schedule",
                lambda c, n: c.post(
                    "/api/v1/schedules",
                    headers=auth,
                    json={
                        "workflow_id": workflow.id,
                        "name": f"new {n}",
                        "cron": "0 4 * * *",
                        "input": {"n": n},
                    },
                ),
            ),
        ]
        with ServerThread(bare_app()) as bare:
            base_rps, base_p99 = measure(
                bare.url,
                lambda c, n: c.get("/constant"),
                clients=args.clients,
                seconds=args.seconds,
            )
        print(f"{args.clients} clients, {args.seconds:g} s per case, SQLite")
        print(f"{'case':<22}{'req/s':>10}{'p99 ms':>10}{'vs bare':>10}")
        print(f"{'bare FastAPI constant':<22}{base_rps:>10.0f}{base_p99:>10.1f}{'1.00x':>10}")
        with ServerThread(create_app(container)) as server:
            for name, request in cases:
                rps, p99 = measure(server.url, request, clients=args.clients, seconds=args.seconds)
                print(f"{name:<22}{rps:>10.0f}{p99:>10.1f}{base_rps / rps:>9.2f}x")
        container.close()


if __name__ == "__main__":
    main()
