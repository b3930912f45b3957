"""Action tests run real components: a SQLite store and run queue, an HTTP server on 127.0.0.1
started here, real subprocesses; every kind installed (shell allowed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.component.engine.conftest import Bench
from tests.conftest import LOCAL_OUTBOUND, fresh_database_url

from cronwright import actions, service
from cronwright.clock import FakeClock
from cronwright.service import chains
from cronwright.store.catalog import sql_catalog
from cronwright.store.slots import slot_ledger


class Server:
    """An HTTP server on 127.0.0.1: ``routes`` answer ``(method, path)`` with a status and JSON;
    else ``/status/N`` answers N, ``/text/N`` answers N bytes of text, ``/hold`` answers once
    ``release`` is set, and anything else JSON describing the request."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, object]] | None = None) -> None:
        self.routes = routes or {}
        self.requests: list[dict[str, object]] = []
        self.release = threading.Event()
        self.holding = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                seen = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(body) if body else None,
                    "body": body,
                }
                server.requests.append(seen)
                parts = self.path.strip("/").split("/")
                route = server.routes.get((self.command, self.path))
                if route is not None:
                    self._send(route[0], json.dumps(route[1]).encode(), "application/json")
                elif parts[0] == "status":
                    self._send(int(parts[1]), b'{"error": "as asked"}', "application/json")
                elif parts[0] == "text":
                    self._send(200, b"x" * int(parts[1]), "text/plain")
                elif parts[0] == "hold":
                    server.holding.set()
                    server.release.wait(30)
                    self._send(200, b"late", "text/plain")
                else:
                    self._send(200, json.dumps(seen).encode(), "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer  # noqa: N815

        return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    started = Server().start()
    yield started
    started.stop()


@pytest.fixture
def bench(request: pytest.FixtureRequest, tmp_path: Path, t0: datetime) -> Iterator[Bench]:
    """The engine bench with ``http``, ``shell`` and ``trigger`` installed too."""
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    clock = FakeClock(t0)
    bench = Bench(store, clock)
    starter = chains.ChainStarter(store, slot_ledger.SqlSlotLedger(store.engine), clock)
    actions.install_default_actions(
        bench.registry, allow_shell=True, trigger_port=starter, outbound_policy=LOCAL_OUTBOUND
    )
    yield bench
    store.close()


def workflows_of(bench: Bench) -> service.Workflows:
    return service.Service.build(
        bench.store, bench.clock, check_config=bench.registry.check_config
    ).workflows
