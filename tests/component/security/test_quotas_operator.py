"""Quotas belong to the operator, not to the tenant they limit: an organization's admin reads them
and cannot change them over the API; the operator changes them with ``cronwright orgs quotas``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cronwright.cli import app as cli_app
from tests.component.security.edge import V1, Edge, Tenant, problem_of


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST"])
def test_an_org_admin_cannot_raise_its_own_quotas(edge: Edge, acme: Tenant, method: str) -> None:
    admin = edge.client(acme.tokens["admin"])
    before = admin.get(f"{V1}/organization").json()
    raised = {"max_schedules": 1_000_000, "max_concurrent_runs": 1_000_000}
    response = admin.request(method, f"{V1}/organization/quotas", json=raised)
    problem_of(response, 405)
    assert response.headers["allow"] == "GET"
    assert admin.get(f"{V1}/organization").json() == before
    stored = edge.service.organizations.get(acme.org.id)
    assert (stored.max_schedules, stored.max_concurrent_runs) == (
        acme.org.max_schedules,
        acme.org.max_concurrent_runs,
    )


def test_every_role_reads_its_quotas(edge: Edge, acme: Tenant) -> None:
    edge.schedule(acme)
    for role in ("viewer", "editor", "admin"):
        quotas = edge.client(acme.tokens[role]).get(f"{V1}/organization/quotas")
        assert quotas.status_code == 200, quotas.text
        assert quotas.json() == {
            "max_schedules": acme.org.max_schedules,
            "max_concurrent_runs": acme.org.max_concurrent_runs,
            "schedule_count": 1,
        }
    problem_of(edge.client().get(f"{V1}/organization/quotas"), 401)


def test_the_operator_changes_quotas_with_the_cli(edge: Edge, acme: Tenant) -> None:
    result = CliRunner().invoke(
        cli_app,
        [
            *("org", "quotas", "--org", acme.org.name, "--url", edge.database_url),
            *("--max-schedules", "7", "--max-concurrent-runs", "3"),
        ],
    )
    assert result.exit_code == 0, result.output
    quotas = edge.client(acme.tokens["viewer"]).get(f"{V1}/organization/quotas").json()
    assert (quotas["max_schedules"], quotas["max_concurrent_runs"]) == (7, 3)
