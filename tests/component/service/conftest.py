from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.conftest import fresh_database_url

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog

STEPS = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}


@pytest.fixture
def sqlite_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[sql_catalog.SqlCatalog]:
    """Most service rules are backend-independent: check them on SQLite only."""
    opened = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def clock(t0: datetime) -> FakeClock:
    return FakeClock(t0)


@pytest.fixture
def svc(sqlite_store: sql_catalog.SqlCatalog, clock: FakeClock) -> service.Service:
    return service.Service.build(sqlite_store, clock)


@pytest.fixture
def org(svc: service.Service) -> domain.Organization:
    return svc.organizations.create("acme", max_schedules=5)


@pytest.fixture
def workflow(svc: service.Service, org: domain.Organization) -> domain.Workflow:
    return svc.workflows.create(org.id, name="ping", definition=STEPS)


def spec_for(workflow: domain.Workflow, **changes: object) -> domain.ScheduleSpec:
    """A spec; unless given, its name tells its expression, zone and input apart (names are
    unique), so that specs differing in those can live side by side."""
    base = domain.ScheduleSpec(workflow_id=workflow.id, name="nightly", cron="0 3 * * *")
    spec = base.replace(**changes)
    identity = (spec.cron, spec.timezone, spec.input)
    if "name" in changes or identity == (base.cron, base.timezone, base.input):
        return spec
    digest = hashlib.sha256(repr(identity).encode()).hexdigest()[:8]
    return spec.replace(name=f"nightly {digest}")
