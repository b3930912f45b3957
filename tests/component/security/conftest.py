"""Security tests run the API over real HTTP (uvicorn on 127.0.0.1), built the way
``cronwright serve`` builds it from the operator's settings, with receivers on 127.0.0.1 standing
in for the host's own services (the API itself, a database port, cloud metadata)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from cronwright import domain, service, settings
from cronwright.api import Container
from cronwright.bootstrap import root
from cronwright.cli import serve
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread
from tests.conftest import fresh_database_url

T0 = datetime.fromisoformat("2026-03-02T09:30:15+00:00")
V1 = "/api/v1"
_names = (f"sec-org-{n}" for n in itertools.count(1))


@dataclass
class Org:
    org: domain.Organization
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def admin(self) -> httpx.Client:
        return self.clients["admin"]

    @property
    def editor(self) -> httpx.Client:
        return self.clients["editor"]

    @property
    def viewer(self) -> httpx.Client:
        return self.clients["viewer"]


@dataclass
class SecuredApi:
    url: str
    container: Container
    database_url: str
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def service(self) -> service.Service:
        return self.container.service

    def organization(self, name: str | None = None) -> Org:
        org = self.service.organizations.create(name or next(_names))
        tenant = Org(org=org)
        for role in domain.Role:
            token = self.service.organizations.issue_api_key(
                org.id, name=role.value, role=role
            ).token
            client = httpx.Client(
                base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            self._clients.append(client)
            tenant.clients[role.value] = client
            tenant.tokens[role.value] = token
        return tenant

    def close(self) -> None:
        for client in self._clients:
            client.close()


def serve_api(
    request: pytest.FixtureRequest, tmp_path: Path, **environment: str
) -> Iterator[SecuredApi]:
    """The API of ``cronwright serve`` under the settings ``environment`` (CRONWRIGHT_* names
    without the prefix, lower case), on a fresh SQLite database."""
    url = fresh_database_url(request, "sqlite", tmp_path)
    chosen = settings.Settings(database_url=url, **environment)  # type: ignore[arg-type]
    process = root.Root.open(url, clock=FakeClock(T0))
    built = serve.api_app(chosen, process)  # exactly what `cronwright serve` runs
    container: Container = built.asgi.state.container
    with ServerThread(built.asgi) as server:
        api = SecuredApi(url=server.url, container=container, database_url=url)
        yield api
        api.close()
    built.close()
    process.close()


@pytest.fixture(scope="module")
def strict_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredApi]:
    """The API with the default outbound policy: nothing but global addresses. Shared by a
    module's tests, each in organizations of its own."""
    yield from serve_api(request, tmp_path_factory.mktemp("api"))


# The HTTP edge tests' fixtures live in their own module; importing them here registers them.
from tests.component.security.edge import (  # noqa: E402
    _fresh_clock_and_limits,  # noqa: F401
    acme,  # noqa: F401
    edge,  # noqa: F401
)
