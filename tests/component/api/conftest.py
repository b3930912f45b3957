"""The API over real HTTP: uvicorn on 127.0.0.1 in a thread, one server and database per module
and backend, an httpx client per caller. Each test makes its own organizations, so tests sharing
a server never see each other's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cronwright import domain, service
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.engine import alerts
from cronwright.store.database import dialect
from cronwright.store.database.schema import Base
from cronwright.testing.server import ServerThread
from tests.conftest import BACKENDS, LOCAL_OUTBOUND, fresh_database_url

T0 = datetime.fromisoformat("2026-03-02T09:30:15+00:00")
STEPS: dict[str, Any] = {
    "steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]
}
PROBLEM_JSON = "application/problem+json"
_names = (f"org-{n}" for n in itertools.count(1))


@dataclass
class Tenant:
    """An organization with a key per role, a revoked key, and a workflow."""

    org: domain.Organization
    tokens: dict[str, str]
    workflow: domain.Workflow
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def as_(self, who: str) -> httpx.Client:
        return self.clients[who]

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
class Api:
    url: str
    container: Container
    clock: FakeClock
    backend: str
    engine: sa.Engine  # a separate connection pool, to read what the server wrote
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def service(self) -> service.Service:
        return self.container.service

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def tenant(self, *, max_schedules: int = 1000) -> Tenant:
        org = self.service.organizations.create(next(_names), max_schedules=max_schedules)
        tokens = {
            role.value: self.service.organizations.issue_api_key(
                org.id, name=role.value, role=role
            ).token
            for role in domain.Role
        }
        revoked = self.service.organizations.issue_api_key(
            org.id, name="old", role=domain.Role.ADMIN
        )
        self.service.organizations.revoke_api_key(org.id, revoked.key.id)
        tokens["revoked"] = revoked.token
        workflow = self.service.workflows.create(org.id, name="ping", definition=STEPS)
        tenant = Tenant(org=org, tokens=tokens, workflow=workflow)
        tenant.clients = {who: self.client(token) for who, token in tokens.items()}
        tenant.clients["anonymous"] = self.client()
        return tenant

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (bar a key's last use), to prove a request wrote nothing."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        with self.engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if c.name != "last_used_at"]
                rows = connection.execute(sa.select(*columns).order_by(*table.primary_key))
                tables[table.name] = [tuple(row) for row in rows]
        return tables

    def close(self) -> None:
        """Close every client made for this server."""
        for client in self._clients:
            client.close()


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    backend = str(request.param)
    url = fresh_database_url(request, backend, tmp_path_factory.mktemp("api"))
    clock = FakeClock(T0)
    container = Container.from_url(
        url, clock=clock, alert_settings=alerts.AlerterSettings(outbound_policy=LOCAL_OUTBOUND)
    )
    with ServerThread(create_app(container)) as server:
        api = Api(
            url=server.url,
            container=container,
            clock=clock,
            backend=backend,
            engine=dialect.create_engine(url),
        )
        yield api
        api.close()
    api.engine.dispose()
    container.close()


@pytest.fixture
def acme(api: Api) -> Tenant:
    return api.tenant()


@pytest.fixture
def rival(api: Api) -> Tenant:
    return api.tenant()


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of an error response, checked for the RFC 9457 shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "errors"} <= set(body)
    return body


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


def rejected(
    api: Api, send: Callable[[], httpx.Response], status: int, field: str | None = None
) -> dict[str, Any]:
    """Send a request that must fail with ``status`` (naming ``field``) and change nothing."""
    before = api.snapshot()
    problem = problem_of(send(), status)
    if field is not None:
        assert field in fields_of(problem), problem
    assert api.snapshot() == before, "a rejected request changed the database"
    return problem


def schedule_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "workflow_id": tenant.workflow.id,
        "name": "nightly",
        "cron": "0 3 * * *",
    }
    body.update(changes)
    return body


@pytest.fixture(autouse=True)
def _clock_at_t0(request: pytest.FixtureRequest) -> None:
    """Tests share a server (and its clock) per module; each starts at ``T0``, with no failed
    sign-ins counted against 127.0.0.1."""
    if "api" in request.fixturenames:
        api: Api = request.getfixturevalue("api")
        api.clock.current = T0
        api.container.throttle.clear()
