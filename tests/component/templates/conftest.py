from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cronwright import actions, domain, service
from cronwright.clock import FakeClock
from cronwright.service import templates as service_templates
from cronwright.store.catalog import sql_catalog
from cronwright.store.catalog import templates as store_templates
from tests.conftest import fresh_database_url


@pytest.fixture
def sql_store(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[sql_catalog.SqlCatalog]:
    opened = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, backend, tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def clock(t0: datetime) -> FakeClock:
    return FakeClock(t0)


@pytest.fixture
def svc(sql_store: sql_catalog.SqlCatalog, clock: FakeClock) -> service.Service:
    # The API's own config check: every kind, python names by pattern.
    return service.Service.build(
        sql_store, clock, check_config=actions.config_checker(allow_shell=False)
    )


@pytest.fixture
def catalog(
    svc: service.Service, sql_store: sql_catalog.SqlCatalog, clock: FakeClock
) -> service_templates.Templates:
    return service_templates.Templates(
        svc.workflows, svc.schedules, store_templates.SqlTemplates(sql_store.engine), clock
    )


@pytest.fixture
def org(svc: service.Service) -> domain.Organization:
    return svc.organizations.create("acme", max_schedules=50)
