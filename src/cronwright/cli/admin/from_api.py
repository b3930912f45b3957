"""The API's answers as the domain values the database gives, so a command renders both alike.

What the API does not show is filled in from what the caller already knows (the organization, the
schedule or run asked about); a schedule's ``hash_key`` and a key's ``secret_hash`` are never
shown, and no command prints them, so they are left empty.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from cronwright import domain, templates
from cronwright.api.schemas import organization as org_schemas
from cronwright.api.schemas import runs as run_schemas
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.api.schemas import templates as template_schemas
from cronwright.api.schemas import workflows as workflow_schemas
from cronwright.domain import template_records
from cronwright.service import preview as service_preview
from cronwright.service import templates as service_templates
from cronwright.service import triggers

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def organization(out: org_schemas.OrganizationOut) -> domain.Organization:
    return _as(domain.Organization, out)


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


def workflow(out: workflow_schemas.WorkflowOut, org_id: domain.OrganizationId) -> domain.Workflow:
    """As the API shows it: secret values of step configs read ``***``."""
    return domain.Workflow(
        id=domain.WorkflowId(out.id),
        org_id=org_id,
        name=out.name,
        definition=domain.WorkflowDefinition.from_json(out.definition.model_dump()),
        version=out.version,
        created_at=out.created_at,
        updated_at=out.updated_at,
    )


def event(
    out: schedule_schemas.ScheduleEventOut, schedule_id: domain.ScheduleId
) -> domain.ScheduleEvent:
    return _as(domain.ScheduleEvent, out, schedule_id=schedule_id)


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
    return _as(domain.Run, out, org_id=org_id)


def step(out: run_schemas.RunStepOut, run_id: domain.RunId) -> domain.RunStep:
    return _as(domain.RunStep, out, run_id=run_id)


def backfill(out: run_schemas.BackfillOut) -> triggers.Backfill:
    slots = tuple(_as(triggers.BackfillSlot, slot) for slot in out.slots)
    return _as(triggers.Backfill, out, slots=slots)


def api_key(out: org_schemas.ApiKeyOut, org_id: domain.OrganizationId) -> domain.ApiKey:
    return _as(domain.ApiKey, out, org_id=org_id, secret_hash="")


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
    return _as(template_records.ScheduleOrigin, out)


def _as(cls: type[T], out: BaseModel, **known: Any) -> T:
    """A ``cls`` of the fields of ``out`` that it has, and of ``known``: what the API leaves out
    because the caller knows it. (Ids are plain integers on both sides.)"""
    names = {f.name for f in dataclasses.fields(cls)} - set(known)
    return cls(**out.model_dump(include=names), **known)
