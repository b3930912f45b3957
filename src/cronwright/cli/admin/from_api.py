"""The API's answers as the domain values the database gives, so a command renders both alike.

What the API does not show is filled in from what the caller already knows (the organization, the
schedule or run asked about); a schedule's ``hash_key`` and a key's ``secret_hash`` are never
shown, and no command prints them, so they are left empty.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from cronwright import domain, templates
from cronwright.api.schemas import organization as org_schemas
from cronwright.api.schemas import runs as run_schemas
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.api.schemas import templates as template_schemas
from cronwright.domain import template_records
from cronwright.service import preview as service_preview
from cronwright.service import templates as service_templates
from cronwright.service import triggers


def organization(out: org_schemas.OrganizationOut) -> domain.Organization:
    return domain.Organization(
        id=domain.OrganizationId(out.id),
        name=out.name,
        max_schedules=out.max_schedules,
        max_concurrent_runs=out.max_concurrent_runs,
        schedule_count=out.schedule_count,
        created_at=out.created_at,
    )


def schedule(out: schedule_schemas.ScheduleOut, org_id: domain.OrganizationId) -> domain.Schedule:
    spec_fields = set(schedule_schemas.ScheduleSpecOut.model_fields)
    fields = schedule_schemas.spec_changes(out.model_dump(include=spec_fields))
    fields["workflow_id"] = domain.WorkflowId(out.workflow_id)
    return domain.Schedule(
        id=domain.ScheduleId(out.id),
        org_id=org_id,
        hash_key="",
        spec=domain.ScheduleSpec(**fields),
        next_fire_at=out.next_fire_at,
        version=out.version,
        created_at=out.created_at,
        updated_at=out.updated_at,
    )


def event(
    out: schedule_schemas.ScheduleEventOut, schedule_id: domain.ScheduleId
) -> domain.ScheduleEvent:
    return domain.ScheduleEvent(
        id=out.id,
        schedule_id=schedule_id,
        kind=out.kind,
        version=out.version,
        author=out.author,
        created_at=out.created_at,
        detail=dict(out.detail),
    )


def preview(out: schedule_schemas.PreviewOut) -> service_preview.Preview:
    zone = ZoneInfo(out.timezone)  # local times in the zone itself, so %Z prints "CET"
    return service_preview.Preview(
        description=out.description,
        timezone=out.timezone,
        fires=tuple(
            service_preview.PreviewFire(at=fire.at, local=fire.at.astimezone(zone), dst=fire.dst)
            for fire in out.fires
        ),
    )


def run(out: run_schemas.RunOut, org_id: domain.OrganizationId) -> domain.Run:
    return domain.Run(
        id=domain.RunId(out.id),
        org_id=org_id,
        workflow_id=domain.WorkflowId(out.workflow_id),
        schedule_id=None if out.schedule_id is None else domain.ScheduleId(out.schedule_id),
        schedule_version_id=None
        if out.schedule_version_id is None
        else domain.ScheduleVersionId(out.schedule_version_id),
        trigger=out.trigger,
        scheduled_for=out.scheduled_for,
        available_at=out.available_at,
        state=out.state,
        reason=out.reason,
        attempt=out.attempt,
        max_attempts=out.max_attempts,
        worker_id=out.worker_id,
        lease_expires_at=out.lease_expires_at,
        started_at=out.started_at,
        finished_at=out.finished_at,
        input=dict(out.input),
        result=out.result,
        error=out.error,
        created_at=out.created_at,
    )


def step(out: run_schemas.RunStepOut, run_id: domain.RunId) -> domain.RunStep:
    return domain.RunStep(
        id=domain.RunStepId(out.id),
        run_id=run_id,
        name=out.name,
        kind=out.kind,
        attempt=out.attempt,
        state=out.state,
        started_at=out.started_at,
        finished_at=out.finished_at,
        output=out.output,
        error=out.error,
    )


def backfill(out: run_schemas.BackfillOut) -> triggers.Backfill:
    return triggers.Backfill(
        schedule_id=domain.ScheduleId(out.schedule_id),
        since=out.since,
        until=out.until,
        dry_run=out.dry_run,
        slots=tuple(
            triggers.BackfillSlot(
                scheduled_for=slot.scheduled_for,
                outcome=slot.outcome,
                state=slot.state,
                run_id=None if slot.run_id is None else domain.RunId(slot.run_id),
                reason=slot.reason,
            )
            for slot in out.slots
        ),
    )


def api_key(out: org_schemas.ApiKeyOut, org_id: domain.OrganizationId) -> domain.ApiKey:
    return domain.ApiKey(
        id=domain.ApiKeyId(out.id),
        org_id=org_id,
        name=out.name,
        role=out.role,
        prefix=out.prefix,
        secret_hash="",
        created_at=out.created_at,
        last_used_at=out.last_used_at,
        revoked_at=out.revoked_at,
    )


def catalog_entry(out: template_schemas.TemplateOut) -> service_templates.CatalogEntry:
    """The template read back from its document, as the server read it when it was saved."""
    document: dict[str, Any] = {
        "name": out.name,
        "version": out.version,
        "description": out.description,
        "parameters": [_parameter(p) for p in out.parameters],
        "workflow": out.workflow,
        "schedule": out.schedule,
    }
    organization_owned = out.source is template_records.TemplateSource.ORGANIZATION
    return service_templates.CatalogEntry(
        template=templates.parse_template(document),
        source=out.source,
        author=out.author,
        saved_at=out.saved_at,
        versions=tuple(out.versions) if organization_owned else (),
    )


def _parameter(out: template_schemas.ParameterOut) -> dict[str, Any]:
    # A parameter's document leaves out what it does not set; ``required`` is derived.
    document = out.model_dump(exclude_none=True, exclude={"required"})
    for bound in ("minimum", "maximum"):
        value = document.get(bound)
        if isinstance(value, float) and value.is_integer():
            document[bound] = int(value)  # the API's numbers are floats; the file wrote 1, not 1.0
    return document


def origin(out: template_schemas.OriginOut) -> template_records.ScheduleOrigin:
    return template_records.ScheduleOrigin(
        schedule_id=domain.ScheduleId(out.schedule_id),
        template=out.template,
        template_version=out.template_version,
        source=out.source,
        parameters=dict(out.parameters),
        created_at=out.created_at,
    )
