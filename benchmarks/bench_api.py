"""API throughput and p99 latency on SQLite, driven by ``wrk``, against a bare FastAPI app.

    python benchmarks/bench_api.py [--seconds 10] [--connections 16] [--threads 2]

The load generator is ``wrk`` (C, keep-alive connections, its own process: the figures are the
server's, not a Python client's). Install it with ``apt-get install wrk`` (Debian/Ubuntu) or
``brew install wrk`` (macOS). Cases, each for ``--seconds`` over ``--connections`` kept-alive
connections:

- bare FastAPI app returning a constant (uvicorn, same process and settings): the floor;
- GET one schedule (rotating over 200);
- list 100 runs (``GET /api/v1/runs?limit=100``);
- create a schedule (``POST /api/v1/schedules``, a new name and input each time).

Also the median time of one request on a reused connection against one on a new connection
(``/healthz``): Nagle's algorithm with the client's delayed ACK shows as ~40 ms on the reused one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.slots import slot_ledger
from cronwright.testing.server import ServerThread

WRK_MISSING = (
    "bench_api.py needs wrk, an HTTP load generator: apt-get install wrk (Debian/Ubuntu), "
    "brew install wrk (macOS), or build it from https://github.com/wg/wrk"
)

# wrk's Lua: every thread numbers its requests, so each create has its own name and input.
_LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
function init(args)
  wrk.headers["Authorization"] = "Bearer %(token)s"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  counter = counter + 1
  %(body)s
end
"""
_GET_ONE = (
    "local ids = {%(ids)s}\n"
    '  return wrk.format("GET", "/api/v1/schedules/" .. ids[counter %% #ids + 1])'
)
_LIST_RUNS = 'return wrk.format("GET", "/api/v1/runs?limit=100")'
_CREATE = (
    'local n = (thread_id or 0) .. "-" .. counter\n'
    '  return wrk.format("POST", "/api/v1/schedules", nil, '
    '\'{"workflow_id": %(workflow)d, "name": "new \' .. n .. \'", "cron": "0 4 * * *", '
    '"input": {"n": "\' .. n .. \'"}}\')'
)
_CONSTANT = 'return wrk.format("GET", "/constant")'


@dataclass(frozen=True, slots=True)
class Figures:
    requests_per_second: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses and socket errors


def wrk(url: str, lua: str, *, seconds: float, connections: int, threads: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script.name).unlink()
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Figures(rps, p99, errors)


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/constant")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app


def one_request_ms(url: str, path: str, *, reuse: bool, count: int = 50) -> float:
    """Median milliseconds of a GET of ``path``, each on a new connection or all on one."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    times = []
    kept = socket.create_connection((host, int(port))) if reuse else None
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection = kept or socket.create_connection((host, int(port)))
            connection.sendall(request)
            _read_response(connection)
            times.append(time.perf_counter() - started)
            if connection is not kept:
                connection.close()
    finally:
        if kept is not None:
            kept.close()
    return 1000 * statistics.median(times)


def _read_response(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += connection.recv(65536)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit(WRK_MISSING)
    load = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
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
        schedules = [
            service.schedules.create(
                org.id,
                domain.ScheduleSpec(
                    workflow_id=workflow.id, name=f"s{n}", cron="0 3 * * *", input={"n": n}
                ),
                author="bench",
            )
            for n in range(200)
        ]
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        store = sql_catalog.SqlCatalog.from_url(url)
        history = slot_ledger.SqlSlotLedger(store.engine)
        history.add_runs(  # a history to list: 300 runs of one schedule
            [
                domain.NewRun(
                    org_id=org.id,
                    workflow_id=workflow.id,
                    schedule_id=schedules[0].id,
                    schedule_version_id=None,
                    trigger=domain.Trigger.SCHEDULE,
                    scheduled_for=t0 + timedelta(minutes=n),
                    available_at=t0 + timedelta(minutes=n),
                    max_attempts=1,
                    created_at=t0,
                )
                for n in range(300)
            ]
        )
        store.close()
        ids = ", ".join(str(schedule.id) for schedule in schedules)
        cases = {
            "GET one schedule": _GET_ONE % {"ids": ids},
            "list 100 runs": _LIST_RUNS,
            "create a schedule": _CREATE % {"workflow": workflow.id},
        }
        print(
            f"wrk: {args.connections} kept-alive connections, {args.threads} threads, "
            f"{args.seconds:g} s per case; SQLite; server: uvicorn in this process"
        )
        print(f"{'case':<24}{'req/s':>10}{'p99 ms':>10}{'vs bare':>10}{'errors':>8}")
        with ServerThread(bare_app()) as bare:
            base = wrk(bare.url, _LUA % {"token": "", "body": _CONSTANT}, **load)
        print(
            f"{'bare FastAPI constant':<24}{base.requests_per_second:>10.0f}"
            f"{base.p99_ms:>10.1f}{'1.00x':>10}{base.errors:>8}"
        )
        with ServerThread(create_app(container)) as server:
            for name, body in cases.items():
                found = wrk(server.url, _LUA % {"token": token, "body": body}, **load)
                print(
                    f"{name:<24}{found.requests_per_second:>10.0f}{found.p99_ms:>10.1f}"
                    f"{base.requests_per_second / found.requests_per_second:>9.2f}x"
                    f"{found.errors:>8}"
                )
            new = one_request_ms(server.url, "/healthz", reuse=False)
            reused = one_request_ms(server.url, "/healthz", reuse=True)
            print(f"/healthz median: new connection {new:.2f} ms, reused {reused:.2f} ms")
        container.close()


if __name__ == "__main__":
    main()
