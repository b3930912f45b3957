"""``/readyz`` says 503 when the database cannot answer, while ``/healthz`` still answers."""

from __future__ import annotations

from pathlib import Path

import httpx

from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread
from tests.component.api.conftest import T0


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # A directory is not a database file: every connection attempt fails.
    container = Container.from_url(f"sqlite:///{tmp_path}", clock=FakeClock(T0))
    with ServerThread(create_app(container)) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
    container.close()
