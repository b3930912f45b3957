"""Every shipped template instantiates with its defaults (and the examples of its required
parameters) through the same validation the API uses, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cronwright import domain, errors, service, templates
from cronwright.domain import template_records
from cronwright.service import templates as service_templates

SHIPPED = [template.name for template in templates.shipped()]
REQUIRED = {
    "task-reminder-escalation",
    "retainer-invoice",
    "project-health-check",
    "contract-renewal-reminder",
    "http-health-check",
    "nightly-backup-webhook",
    "weekly-digest",
    "hourly-sync",
    "dead-mans-switch-heartbeat",
}


def test_the_catalog_has_the_promised_templates_and_at_least_ten() -> None:
    assert set(SHIPPED) >= REQUIRED
    assert len(SHIPPED) >= 10


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_template_instantiates_with_its_defaults(
    name: str, catalog: service_templates.Templates, org: domain.Organization
) -> None:
    template = templates.find_shipped(name)
    assert template is not None
    made = catalog.instantiate(
        org.id,
        name,
        schedule_name=f"{name}-1",
        parameters=template.example_values(),
        author="test",
    )
    assert made.schedule.spec.workflow_id == made.workflow.id
    assert made.schedule.spec.name == made.workflow.name == f"{name}-1"
    assert made.origin == catalog.origin(org.id, made.schedule.id)
    assert (made.origin.template, made.origin.template_version) == (name, template.version)
    assert made.origin.source is template_records.TemplateSource.SHIPPED
    # Defaults are recorded too, so the schedule can be remade exactly.
    assert set(made.origin.parameters) == {p.name for p in template.parameters}
    assert made.schedule.next_fire_at is not None


def test_the_retainer_invoice_fires_on_the_first_business_day(
    catalog: service_templates.Templates, org: domain.Organization
) -> None:
    made = catalog.instantiate(
        org.id,
        "retainer-invoice",
        schedule_name="acme-retainer",
        parameters={
            "invoice_url": "https://billing.example.org/i",
            "client": "Acme",
            "amount": 1200.5,
            "timezone": "UTC",
        },
        author="test",
    )
    assert made.schedule.spec.cron == "0 9 1W * *"
    step = made.workflow.definition.steps[0]
    assert step.config["json"] == {
        "client": "Acme",
        "amount": 1200.5,  # a whole-string placeholder keeps the parameter's JSON type
        "currency": "EUR",
        "description": "Monthly retainer",
    }
    # t0 is 2026-03-02; 2026-04-01 is a Wednesday, so it is the first business day of April.
    assert made.schedule.next_fire_at == datetime(2026, 4, 1, 9, tzinfo=UTC)


def test_contract_reminders_run_from_n_days_before_until_the_date(
    catalog: service_templates.Templates, org: domain.Organization
) -> None:
    made = catalog.instantiate(
        org.id,
        "contract-renewal-reminder",
        schedule_name="hosting-renewal",
        parameters={
            "contract": "Hosting",
            "renewal_date": "2026-06-30",
            "days_before": 14,
            "webhook_url": "https://chat.example.org/h",
            "timezone": "Europe/Berlin",
        },
        author="test",
    )
    spec = made.schedule.spec
    assert spec.start_at is not None
    assert spec.end_at is not None
    assert spec.start_at.isoformat() == "2026-06-15T22:00:00+00:00"  # 06-16 00:00 in Berlin
    assert spec.end_at.isoformat() == "2026-06-30T22:00:00+00:00"  # 07-01 00:00 in Berlin
    # The first reminder: Tuesday 2026-06-16 09:00 Berlin (CEST, +02:00).
    assert made.schedule.next_fire_at == datetime(2026, 6, 16, 7, tzinfo=UTC)
    text = made.workflow.definition.steps[0].config["json"]
    assert isinstance(text, dict)
    assert text["text"] == "Contract renewal: Hosting renews on 2026-06-30."


def test_a_parameter_error_names_the_parameter_and_writes_nothing(
    catalog: service_templates.Templates, org: domain.Organization, svc: object
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        catalog.instantiate(
            org.id,
            "http-health-check",
            schedule_name="site",
            parameters={"url": "ftp://example.org", "timeout": 5},
            author="test",
        )
    assert caught.value.field == "parameters.url"
    with pytest.raises(errors.InvalidInput) as caught:
        catalog.instantiate(
            org.id, "http-health-check", schedule_name="site", parameters={}, author="test"
        )
    assert caught.value.field == "parameters.url"
    assert "required" in caught.value.message
    with pytest.raises(errors.InvalidInput) as caught:
        catalog.instantiate(
            org.id,
            "http-health-check",
            schedule_name="site",
            parameters={"url": "https://example.org", "timeout": 500},
            author="test",
        )
    assert caught.value.field == "parameters.timeout"
    assert "at most 120" in caught.value.message
    with pytest.raises(errors.InvalidInput) as caught:
        catalog.instantiate(
            org.id,
            "http-health-check",
            schedule_name="site",
            parameters={"url": "https://example.org", "cron": "0 0 30 2 *"},
            author="test",
        )
    # Parses, but never fires: the schedule's validation refuses it and names the parameter.
    assert caught.value.field == "schedule.cron"
    assert "parameter cron" in caught.value.message
    with pytest.raises(errors.InvalidInput) as caught:
        catalog.instantiate(
            org.id,
            "http-health-check",
            schedule_name="site",
            parameters={"url": "https://example.org", "colour": "red"},
            author="test",
        )
    assert caught.value.field == "parameters.colour"


def test_a_failed_schedule_leaves_no_workflow_behind(
    catalog: service_templates.Templates, svc: service.Service
) -> None:
    small = svc.organizations.create("small", max_schedules=1)
    params = {"url": "https://example.org/h"}
    catalog.instantiate(
        small.id, "http-health-check", schedule_name="a", parameters=params, author="t"
    )
    with pytest.raises(errors.QuotaExceeded):
        catalog.instantiate(
            small.id, "http-health-check", schedule_name="b", parameters=params, author="t"
        )
    assert [w.name for w in svc.workflows.list(small.id).items] == ["a"]
