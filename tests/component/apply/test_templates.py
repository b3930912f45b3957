"""``template:`` in an apply file: the schedule and its workflow come from a template, apply is
idempotent, a change of parameters is an edit, and each schedule records its template."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronwright import errors, service
from cronwright.clock import FakeClock
from cronwright.service import declarative
from cronwright.service import templates as service_templates
from cronwright.store.catalog import sql_catalog
from cronwright.store.catalog import templates as store_templates
from tests.component.store.populate import T0

FILE = textwrap.dedent(
    """\
    organization: acme
    schedules:
      - name: site-health
        template:
          name: http-health-check
          parameters: {url: "https://example.org/healthz", timeout: 5}
      - name: renewal
        workflow: renewal-reminder
        timezone: Europe/Berlin            # beside the template: overrides its field
        template:
          name: contract-renewal-reminder
          parameters:
            contract: Hosting
            renewal_date: 2026-06-30       # YAML reads it as a date; a date parameter takes it
            webhook_url: https://chat.example.org/h
    """
)


@pytest.fixture
def store(sqlite_url: str) -> Iterator[sql_catalog.SqlCatalog]:
    opened = sql_catalog.SqlCatalog.from_url(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def parts(
    store: sql_catalog.SqlCatalog,
) -> tuple[declarative.Declarative, service.Service, service_templates.Templates]:
    clock = FakeClock(T0)
    svc = service.Service.build(store, clock)
    catalog = service_templates.Templates(
        svc.workflows, svc.schedules, store_templates.SqlTemplates(store.engine), clock
    )
    return declarative.Declarative(svc, store, clock, templates=catalog), svc, catalog


def apply(applier: declarative.Declarative, text: str) -> list[str]:
    plan = applier.plan(declarative.load(text, file="acme.yaml"))
    applier.apply(plan, author="apply:acme.yaml")
    return plan.lines()


def test_templated_schedules_are_made_recorded_and_applying_again_changes_nothing(
    parts: tuple[declarative.Declarative, service.Service, service_templates.Templates],
    store: sql_catalog.SqlCatalog,
) -> None:
    applier, svc, catalog = parts
    assert apply(applier, FILE) == [
        '+ organization "acme"',
        '+ workflow "site-health"',
        '+ workflow "renewal-reminder"',
        '+ schedule "site-health"',
        '+ schedule "renewal"',
    ]
    [org] = store.list_organizations()
    by_name = {s.spec.name: s for s in svc.schedules.list(org.id).items}
    assert by_name["site-health"].spec.cron == "*/5 * * * *"
    assert by_name["renewal"].spec.timezone == "Europe/Berlin"
    origin = catalog.origin(org.id, by_name["renewal"].id)
    assert origin is not None
    assert (origin.template, origin.template_version) == ("contract-renewal-reminder", 1)
    assert origin.parameters["renewal_date"] == "2026-06-30"
    assert apply(applier, FILE) == []

    changed = FILE.replace("timeout: 5", "timeout: 9")
    assert apply(applier, changed) == ['~ workflow "site-health": step "check" changed']
    origin = catalog.origin(org.id, by_name["site-health"].id)
    assert origin is not None
    assert origin.parameters["timeout"] == 9


def test_a_bad_parameter_points_into_the_file(
    parts: tuple[declarative.Declarative, service.Service, service_templates.Templates],
) -> None:
    applier, _, _ = parts
    bad = FILE.replace("timeout: 5", "timeout: 0")
    with pytest.raises(errors.InvalidInput) as caught:
        applier.plan(declarative.load(bad, file="acme.yaml"))
    assert caught.value.field == "schedules[0].template.parameters.timeout"
    assert str(caught.value).startswith("acme.yaml:6: ")  # the line of the parameters
    unknown = FILE.replace("name: http-health-check", "name: no-such-thing")
    with pytest.raises(errors.InvalidInput) as caught:
        applier.plan(declarative.load(unknown, file="acme.yaml"))
    assert caught.value.field == "schedules[0].template.name"


def test_the_cli_applies_a_templated_file(sqlite_url: str, tmp_path: Path) -> None:
    from tests.component.cli.conftest import cronwright

    path = tmp_path / "acme.yaml"
    path.write_text(FILE.replace("2026-06-30", "2031-06-30"))  # real time: a future date
    done = cronwright("apply", str(path), "--url", sqlite_url)
    assert done.returncode == 0, done.stderr
    again = cronwright("apply", str(path), "--url", sqlite_url)
    assert "already matches the file" in again.stdout
