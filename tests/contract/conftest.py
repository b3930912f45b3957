from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from cronwright import domain
from cronwright.store.catalog import sql_catalog

DEFINITION = domain.parse_definition({"steps": [{"name": "call", "kind": "http"}]})


@pytest.fixture
def org(store: sql_catalog.SqlCatalog, t0: datetime) -> domain.Organization:
    return store.create_organization(name="acme", max_schedules=10, max_concurrent_runs=5, now=t0)


@pytest.fixture
def other_org(store: sql_catalog.SqlCatalog, t0: datetime) -> domain.Organization:
    return store.create_organization(name="other", max_schedules=10, max_concurrent_runs=5, now=t0)


@pytest.fixture
def workflow(
    store: sql_catalog.SqlCatalog, org: domain.Organization, t0: datetime
) -> domain.Workflow:
    return store.add_workflow(org_id=org.id, name="ping", definition=DEFINITION, now=t0)


def spec_for(workflow: domain.Workflow, **changes: object) -> domain.ScheduleSpec:
    """A spec; unless given, its name tells its expression, zone and input apart (names are
    unique), so that specs differing in those can live side by side."""
    base = domain.ScheduleSpec(workflow_id=workflow.id, name="every five", cron="*/5 * * * *")
    spec = base.replace(**changes)
    identity = (spec.cron, spec.timezone, spec.input)
    if "name" in changes or identity == (base.cron, base.timezone, base.input):
        return spec
    digest = hashlib.sha256(repr(identity).encode()).hexdigest()[:8]
    return spec.replace(name=f"every five {digest}")
