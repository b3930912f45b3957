"""Schema-driven fuzzing of the live server: every operation of the published OpenAPI document,
with generated valid and invalid requests, as an admin of a seeded organization.

Checks: no 5xx, every status is one the operation documents, every body and header conforms to
its schema, and requests the schema forbids are refused with a 4xx. Bounded in examples per
operation so the whole run takes a few minutes at most.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.api.app import route_table
from cronwright.api.auth import required_role
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread
from tests.api.conftest import STEPS, T0
from tests.conftest import fresh_database_url

pytestmark = pytest.mark.slow

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]


@pytest.fixture(scope="module")
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A server over SQLite with one organization, its workflow and schedule: ``(url, token)``."""
    url = fresh_database_url(request, "sqlite", Path(tmp_path_factory.mktemp("fuzz")))
    container = Container.from_url(url, clock=FakeClock(T0))
    service = container.service
    org = service.organizations.create("fuzz")
    token = service.organizations.issue_api_key(org.id, name="fuzz", role=domain.Role.ADMIN).token
    workflow = service.workflows.create(org.id, name="w", definition=STEPS)
    service.schedules.create(
        org.id,
        domain.ScheduleSpec(workflow_id=workflow.id, name="s", cron="0 3 * * *"),
        author="fuzz",
    )
    with ServerThread(create_app(container)) as server:
        yield server.url, token
    container.close()


@pytest.fixture(scope="module")
def live_schema(live: tuple[str, str]) -> Any:
    url, _token = live
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")


POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Operations with no input at all (health, readiness, metrics) have no invalid request to make.
OPERATIONS = [
    pytest.param(method, route.path, mode, id=f"{method} {route.path} {mode.value}")
    for route in route_table()
    for method in sorted(route.methods or ())
    for mode in (POSITIVE, NEGATIVE)
    if mode is POSITIVE or required_role(route) is not None
]


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_the_live_api_conforms_to_its_schema(
    live: tuple[str, str], live_schema: Any, method: str, path: str, mode: Any
) -> None:
    url, token = live
    operation = live_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        case.call_and_validate(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )

    conforms()
