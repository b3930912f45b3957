"""Fixtures of the HTTP edge tests (registered by conftest.py).

The HTTP edge under attack: the API with the dashboard mounted as ``serve`` mounts it, uvicorn
on 127.0.0.1 in a thread, a FakeClock (so rate limits refill without waiting), one server per
module (SQLite) and fresh organizations per test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cronwright import actions, domain, service
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread
from cronwright.web import mount_dashboard
from tests.conftest import fresh_database_url

T0 = datetime.fromisoformat("2026-03-02T09:30:15+00:00")
STEPS: dict[str, Any] = {
    "steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]
}
CSRF = re.compile(r'name="csrf" value="([0-9A-Za-z_-]+)"')
PROBLEM_JSON = "application/problem+json"
V1 = "/api/v1"
_names = (f"org-{n}" for n in itertools.count(1))
_minutes = itertools.cycle(range(60))


@dataclass
class Tenant:
    org: domain.Organization
    tokens: dict[str, str]  # by role, plus "revoked"
    workflow: domain.Workflow


@dataclass
class Edge:
    url: str
    database_url: str
    container: Container
    clock: FakeClock
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def service(self) -> service.Service:
        return self.container.service

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        options.setdefault("timeout", 30)
        client = httpx.Client(base_url=self.url, headers=headers, **options)
        self._clients.append(client)
        return client

    def tenant(self) -> Tenant:
        org = self.service.organizations.create(next(_names))
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
        return Tenant(org=org, tokens=tokens, workflow=workflow)

    def schedule(self, tenant: Tenant, name: str = "nightly") -> domain.Schedule:
        minute = next(_minutes)  # distinct expressions: equal schedules would be refused
        spec = self.service.schedules.new_spec(
            workflow_id=tenant.workflow.id, name=name, cron=f"{minute} 3 * * *"
        )
        return self.service.schedules.create(tenant.org.id, spec, author="test")

    def signin_form(self, client: httpx.Client) -> str:
        """Open the sign-in page as a browser would; the form's token."""
        return csrf_of(client.get("/ui/signin"))

    def signed_in(self, token: str) -> httpx.Client:
        client = self.client(follow_redirects=False)
        form = {"api_key": token, "csrf": self.signin_form(client)}
        response = client.post("/ui/signin", data=form, headers=same_origin(self.url))
        assert response.status_code == 303, response.text
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


def same_origin(url: str) -> dict[str, str]:
    """What a browser sends with a form posted from one of our own pages."""
    return {"Origin": url, "Sec-Fetch-Site": "same-origin"}


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def open_edge(database_url: str) -> Iterator[Edge]:
    clock = FakeClock(T0)
    # Steps are checked on save as under ``serve``.
    check_config = actions.config_checker(allow_shell=False)
    container = Container.from_url(database_url, clock=clock, check_config=check_config)
    app = create_app(container)
    mount_dashboard(
        app, container.service, clock, triggers=container.triggers, throttle=container.throttle
    )
    with ServerThread(app) as server:
        edge = Edge(url=server.url, database_url=database_url, container=container, clock=clock)
        yield edge
        edge.close()
    container.close()


@pytest.fixture(scope="module")
def edge(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    yield from open_edge(
        fresh_database_url(request, "sqlite", Path(tmp_path_factory.mktemp("edge")))
    )


@pytest.fixture
def acme(edge: Edge) -> Tenant:
    return edge.tenant()


@pytest.fixture(autouse=True)
def _fresh_clock_and_limits(request: pytest.FixtureRequest) -> None:
    """Tests share a server per module: each starts at ``T0`` with no failures counted."""
    if "edge" in request.fixturenames:
        edge: Edge = request.getfixturevalue("edge")
        edge.clock.current = T0
        edge.container.throttle.clear()


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
