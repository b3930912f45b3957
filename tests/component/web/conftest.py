"""The dashboard over real HTTP, mounted as ``serve`` mounts it: uvicorn on 127.0.0.1 in a
thread, a FakeClock, one server per module (SQLite) and fresh organizations per test."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from cronwright import actions, domain, service
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.engine import alerts
from cronwright.store.catalog import sql_catalog
from cronwright.testing.server import ServerThread
from cronwright.web import Alerts, mount_dashboard
from tests.conftest import LOCAL_OUTBOUND, fresh_database_url
from tests.support.rows import add_run, add_run_step

T0 = datetime.fromisoformat("2026-03-02T09:30:15+00:00")
STEPS: dict[str, Any] = {
    "steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]
}
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_names = (f"org-{n}" for n in itertools.count(1))


@dataclass
class Tenant:
    """An organization with a key per role (and a revoked one) and a workflow."""

    org: domain.Organization
    tokens: dict[str, str]
    workflow: domain.Workflow


@dataclass
class Site:
    url: str
    container: Container
    clock: FakeClock
    store: sql_catalog.SqlCatalog  # a second pool on the same database, to seed runs and steps
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def service(self) -> service.Service:
        return self.container.service

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)
        self._clients.append(client)
        return client

    def sign_in(self, client: httpx.Client, token: str) -> httpx.Response:
        """Post ``token`` from the sign-in page, as a browser does (its form token included)."""
        form = {"api_key": token, "csrf": csrf_of(client.get("/ui/signin"))}
        return client.post("/ui/signin", data=form)

    def signed_in(self, token: str) -> httpx.Client:
        client = self.client()
        response = self.sign_in(client, token)
        assert response.status_code == 303, response.text
        return client

    def tenant(self) -> Tenant:
        org = self.service.organizations.create(next(_names))
        tokens = {
            role.value: self.service.organizations.issue_api_key(
                org.id, name=f"{role.value} key", role=role
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

    def schedule(self, tenant: Tenant, name: str, cron: str, **fields: Any) -> domain.Schedule:
        spec = self.service.schedules.new_spec(
            workflow_id=tenant.workflow.id, name=name, cron=cron, **fields
        )
        return self.service.schedules.create(tenant.org.id, spec, author="test")

    def run(
        self,
        tenant: Tenant,
        state: domain.RunState = domain.RunState.SUCCEEDED,
        *,
        schedule: domain.Schedule | None = None,
        age: timedelta = timedelta(minutes=5),
        output: domain.JsonValue = None,
        error: str | None = None,
    ) -> domain.Run:
        """A run ``age`` before now with one step in ``state``."""
        at = self.clock.now() - age
        run = add_run(
            self.store,
            domain.NewRun(
                org_id=tenant.org.id,
                workflow_id=tenant.workflow.id,
                schedule_id=schedule.id if schedule else None,
                schedule_version_id=None,
                trigger=domain.Trigger.SCHEDULE if schedule else domain.Trigger.MANUAL,
                scheduled_for=at,
                available_at=at,
                max_attempts=1,
                created_at=at,
                state=state,
                reason=error,  # the run's own error is the engine's to set; the list shows both
            ),
        )
        assert run is not None
        add_run_step(
            self.store,
            run_id=run.id,
            name="call",
            kind="http",
            attempt=1,
            state=state,
            output=output,
            error=error,
        )
        return run

    def close(self) -> None:
        for client in self._clients:
            client.close()


def open_site(url: str) -> Iterator[Site]:
    clock = FakeClock(T0)
    # Step configs are checked on save, as ``serve`` does.
    container = Container.from_url(
        url,
        clock=clock,
        check_config=actions.config_checker(allow_shell=False),
        # The channel tests' receivers listen on 127.0.0.1: allowed, as on a laptop.
        alert_settings=alerts.AlerterSettings(outbound_policy=LOCAL_OUTBOUND),
    )
    app = create_app(container)
    mount_dashboard(
        app,
        container.service,
        clock,
        triggers=container.triggers,
        throttle=container.throttle,
        queue=container.queue,
        alerts=Alerts(channels=container.alert_channels, alerter=container.alerter),
        templates=container.templates,
        loops=container.loops,
    )
    store = sql_catalog.SqlCatalog.from_url(url)
    with ServerThread(app) as server:
        site = Site(url=server.url, container=container, clock=clock, store=store)
        yield site
        site.close()
    store.close()
    container.close()


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    yield from open_site(fresh_database_url(request, "sqlite", tmp_path_factory.mktemp("web")))


@pytest.fixture
def acme(site: Site) -> Tenant:
    return site.tenant()


@pytest.fixture
def rival(site: Site) -> Tenant:
    return site.tenant()


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def csrf_for(token: str) -> str:
    """The form token a page would carry for ``token``'s session (for pages that show no form)."""
    from starlette.requests import Request

    from cronwright.web import session

    cookie = f"{session.COOKIE}={token}".encode()
    return session.csrf_token(Request({"type": "http", "headers": [(b"cookie", cookie)]}))
