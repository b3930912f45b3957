"""``cronwright.client.Client`` against the API over real HTTP, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cronwright.api import create_app
from cronwright.client import (
    Client,
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unauthenticated,
)
from tests.component.api.conftest import STEPS, Api, Tenant

NIGHTLY: dict[str, Any] = {"cron": "0 3 * * *", "timezone": "Europe/Berlin"}


def client_for(api: Api, tenant: Tenant, role: str = "admin") -> Client:
    return Client(api.url, tenant.tokens[role], timeout=30)


# Each operation of the OpenAPI document and the client call that performs it.
OPERATIONS = {
    "listAlertChannels": "alert_channels.list",
    "createAlertChannel": "alert_channels.create",
    "deleteAlertChannel": "alert_channels.delete",
    "getAlertChannel": "alert_channels.get",
    "updateAlertChannel": "alert_channels.update",
    "testAlertChannel": "alert_channels.test",
    "listApiKeys": "api_keys.list",
    "createApiKey": "api_keys.create",
    "revokeApiKey": "api_keys.revoke",
    "validateCronExpression": "cron.validate",
    "getOrganization": "organization.get",
    "getQuotas": "organization.quotas",
    "listRuns": "runs.list",
    "getRun": "runs.get",
    "cancelRun": "runs.cancel",
    "retryRun": "runs.retry",
    "getSchedules": "schedules.list",
    "createSchedule": "schedules.create",
    "deleteSchedule": "schedules.delete",
    "getScheduleById": "schedules.get",
    "updateSchedule": "schedules.update",
    "backfillSchedule": "schedules.backfill",
    "diffScheduleVersions": "schedules.diff",
    "listScheduleEvents": "schedules.events",
    "previewSchedule": "schedules.next",
    "pauseSchedule": "schedules.pause",
    "resumeSchedule": "schedules.resume",
    "rollbackSchedule": "schedules.rollback",
    "getScheduleHistory": "schedules.runs",
    "triggerSchedule": "schedules.trigger",
    "listScheduleVersions": "schedules.versions",
    "getScheduleVersion": "schedules.version",
    "listWorkflows": "workflows.list",
    "createWorkflow": "workflows.create",
    "deleteWorkflow": "workflows.delete",
    "getWorkflow": "workflows.get",
    "updateWorkflow": "workflows.update",
    "listTemplates": "templates.list",
    "saveTemplate": "templates.save",
    "getTemplate": "templates.get",
    "deleteTemplate": "templates.delete",
    "instantiateTemplate": "templates.instantiate",
    "listTemplateSchedules": "templates.schedules",
    "recordTemplateSchedule": "templates.record",
    "putWorkflowByName": "workflows.put",
    "listWorkflowVersions": "workflows.versions",
    "getWorkflowVersion": "workflows.version",
    "rollbackWorkflow": "workflows.rollback",
    "putScheduleByName": "schedules.put",
    "putAlertChannelByName": "alert_channels.put",
    "healthz": "health",
    "readyz": "ready",
    "metrics": "metrics",
}


def test_the_client_has_a_call_for_every_operation_of_the_api(api: Api) -> None:
    document = create_app(api.container).openapi()
    operations = {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert operations == set(OPERATIONS)
    client = Client(api.url, "unused")
    for call in OPERATIONS.values():
        target: Any = client
        for part in call.split("."):
            target = getattr(target, part)
        assert callable(target), call
    client.close()


def test_workflow_versions_and_rollback(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        made = client.workflows.create(name="versioned", definition=STEPS)
        client.workflows.update(made.id, version=made.version, name="versioned")
        assert [v.version for v in client.workflows.versions(made.id)] == [1, 2]
        assert client.workflows.version(made.id, 1).name == "versioned"
        with pytest.raises(PreconditionFailed):
            client.workflows.rollback(made.id, 1, version=1)
        rolled = client.workflows.rollback(made.id, 1, version=2)
        assert rolled.version == 3


def test_schedules_from_create_to_delete(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        workflow = client.workflows.create(name="report", definition=STEPS)
        made = client.schedules.create(workflow_id=workflow.id, name="nightly", **NIGHTLY)
        assert (made.name, made.cron, made.version) == ("nightly", "0 3 * * *", 1)
        assert client.schedules.get(made.id) == made

        changed = client.schedules.update(made.id, version=made.version, cron="0 4 * * *")
        assert (changed.cron, changed.version) == ("0 4 * * *", 2)
        with pytest.raises(PreconditionFailed) as stale:
            client.schedules.update(made.id, version=1, cron="0 5 * * *")
        assert stale.value.status == 412

        assert [c.field for c in client.schedules.diff(made.id, 1, 2).changes] == ["cron"]
        assert [v.version for v in client.schedules.versions(made.id)] == [1, 2]
        assert client.schedules.version(made.id, 1).spec.cron == "0 3 * * *"
        back = client.schedules.rollback(made.id, 1, version=2)
        assert (back.cron, back.version) == ("0 3 * * *", 3)

        assert client.schedules.pause(made.id).paused
        assert not client.schedules.resume(made.id).paused
        kinds = [event.kind for event in client.schedules.events(made.id)]
        assert kinds[0] == "created"
        assert {"paused", "resumed"} <= set(kinds)

        preview = client.schedules.next(made.id, count=3)
        assert len(preview.fires) == 3
        assert all(fire.at.minute == 0 for fire in preview.fires)

        run = client.schedules.trigger(made.id, input={"day": "today"})
        assert (run.trigger, run.state, run.input) == ("manual", "pending", {"day": "today"})
        assert [r.id for r in client.schedules.runs(made.id).items] == [run.id]
        assert client.runs.get(run.id).id == run.id
        assert client.runs.cancel(run.id).state == "cancelled"

        until = api.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        dry = client.schedules.backfill(
            made.id, since=until - timedelta(days=3), until=until, dry_run=True
        )
        assert len(dry.slots) == 3

        client.schedules.delete(made.id)
        with pytest.raises(NotFound) as missing:
            client.schedules.get(made.id)
        assert isinstance(missing.value, LookupError)
        assert missing.value.status == 404


def test_put_by_name_is_idempotent(api: Api, acme: Tenant) -> None:
    with client_for(api, acme) as client:
        flow = client.workflows.put("by-name flow", definition=STEPS)
        assert client.workflows.put("by-name flow", definition=STEPS).version == flow.version
        first = client.schedules.put("by-name nightly", workflow_id=flow.id, **NIGHTLY)
        again = client.schedules.put("by-name nightly", workflow_id=flow.id, **NIGHTLY)
        assert (again.id, again.version) == (first.id, first.version)
        assert again.name == "by-name nightly"  # a space in a name travels quoted
        moved = client.schedules.put("by-name nightly", workflow_id=flow.id, cron="0 4 * * *")
        assert (moved.id, moved.version, moved.cron) == (first.id, 2, "0 4 * * *")
        hook = {
            "kind": "webhook",
            "target": "https://hooks.example.org/x",
            "events": ["run_failed"],
        }
        channel = client.alert_channels.put("on-call", **hook)
        assert client.alert_channels.put("on-call", **hook).id == channel.id
        assert [c.name for c in client.alert_channels.iter()] == ["on-call"]


def test_iterators_walk_every_page(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        made = [
            client.schedules.create(
                workflow_id=acme.workflow.id, name=f"walk-{n}", cron=f"{n} 3 * * *", timezone="UTC"
            )
            for n in range(5)
        ]
        first = client.schedules.list(limit=2, name_contains="walk-")
        assert len(first.items) == 2
        assert first.next_cursor is not None
        walked = [s.id for s in client.schedules.iter(limit=2, name_contains="walk-")]
        assert walked == [s.id for s in made]
        runs = [client.schedules.trigger(s.id) for s in made[:3]]
        listed = list(client.runs.iter(limit=1, state=["pending"], trigger=["manual"]))
        assert {r.id for r in runs} <= {r.id for r in listed}


def test_problems_become_exceptions_with_their_fields(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        with pytest.raises(InvalidInput) as invalid:
            client.schedules.create(
                workflow_id=acme.workflow.id, name="bad", cron="60 * * * *", timezone="UTC"
            )
        assert invalid.value.status == 422
        assert "minute: 60 is out of range 0-59" in invalid.value.field_messages()["cron"]
        made = client.schedules.create(workflow_id=acme.workflow.id, name="twice", **NIGHTLY)
        run = client.schedules.trigger(made.id)
        client.runs.cancel(run.id)
        with pytest.raises(Conflict) as ended:
            client.runs.cancel(run.id)
        assert ended.value.status == 409
        assert ended.value.detail
    with Client(api.url, "cw_wrong_secret") as stranger, pytest.raises(Unauthenticated):
        stranger.schedules.list()


def test_a_request_the_api_would_refuse_is_refused_before_it_is_sent(
    api: Api, acme: Tenant
) -> None:
    with client_for(api, acme, "editor") as client:
        before = api.snapshot()
        with pytest.raises(ValueError, match="max_attempts"):
            client.schedules.create(
                workflow_id=acme.workflow.id, name="x", max_attempts=0, **NIGHTLY
            )
        assert api.snapshot() == before


def test_admin_calls(api: Api, acme: Tenant) -> None:
    with client_for(api, acme) as client:
        issued = client.api_keys.create(name="bot", role="viewer")
        assert issued.token.startswith("cw_")
        assert issued.id in {key.id for key in client.api_keys.list()}
        with Client(api.url, issued.token) as bot:
            assert bot.organization.get().id == acme.org.id
            assert bot.organization.quotas().max_schedules == acme.org.max_schedules
        client.api_keys.revoke(issued.id)
        with Client(api.url, issued.token) as bot, pytest.raises(Unauthenticated):
            bot.organization.get()

        channel = client.alert_channels.create(
            name="hook", kind="webhook", target="https://hooks.example.org/x", events=["run_failed"]
        )
        assert client.alert_channels.get(channel.id).name == "hook"
        assert client.alert_channels.update(channel.id, enabled=False).enabled is False
        assert [c.id for c in client.alert_channels.iter()] == [channel.id]
        client.alert_channels.delete(channel.id)

        valid = client.cron.validate("0 9 * * MON-FRI", timezone="Europe/Berlin", count=2)
        assert valid.valid
        assert len(valid.fires) == 2
        assert client.health() == {"status": "ok"}
        assert "cronwright" in client.metrics()


def test_a_schedule_from_a_shipped_template(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        names = [template.name for template in client.templates.list().items]
        assert "http-health-check" in names
        shown = client.templates.get("http-health-check")
        assert {p.name for p in shown.parameters} >= {"url"}
        made = client.templates.instantiate(
            "http-health-check",
            schedule_name="site-up",
            parameters={"url": "https://www.example.org/health"},
        )
        assert client.schedules.get(made.schedule_id).name == "site-up"
        origins = client.templates.schedules("http-health-check").items
        assert [o.schedule_id for o in origins] == [made.schedule_id]
        with pytest.raises(InvalidInput) as wrong:
            client.templates.instantiate(
                "http-health-check", schedule_name="bad", parameters={"url": "not a url"}
            )
        assert "parameters.url" in wrong.value.field_messages()


def test_times_are_sent_as_aware_utc(api: Api, acme: Tenant) -> None:
    with client_for(api, acme, "editor") as client:
        made = client.schedules.create(workflow_id=acme.workflow.id, name="window", **NIGHTLY)
        since = datetime(2026, 2, 27, 1, tzinfo=UTC)
        dry = client.schedules.backfill(
            made.id, since=since, until=since + timedelta(days=2), dry_run=True
        )
        assert [slot.scheduled_for for slot in dry.slots] == [
            datetime(2026, 2, 27, 2, tzinfo=UTC),
            datetime(2026, 2, 28, 2, tzinfo=UTC),
        ]
