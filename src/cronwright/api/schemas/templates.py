"""Bodies of ``/templates``: the catalog, an organization's own templates, and instantiating."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, JsonValue

from cronwright.api.schemas.common import JSON_INTEGER, Name, Out, Strict, bounded_json
from cronwright.domain import template_records
from cronwright.service import templates as service_templates

TemplateName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
JsonDocument = Annotated[dict[str, JsonValue], AfterValidator(bounded_json)]


class ParameterOut(Out):
    name: str = Field(examples=["url"])
    type: str = Field(examples=["url"])
    description: str
    required: bool
    default: JsonValue = None
    example: JsonValue = None
    choices: list[JsonValue] | None = None
    minimum: float | None = None
    maximum: float | None = None


class TemplateSummary(Out):
    name: str = Field(examples=["http-health-check"])
    version: int
    source: template_records.TemplateSource
    description: str
    parameters: list[ParameterOut]

    @classmethod
    def of(cls, entry: service_templates.CatalogEntry) -> TemplateSummary:
        template = entry.template
        return cls(
            name=template.name,
            version=template.version,
            source=entry.source,
            description=template.description,
            parameters=[ParameterOut.model_validate(p.to_json()) for p in template.parameters],
        )


class TemplateOut(TemplateSummary):
    workflow: dict[str, JsonValue]
    schedule: dict[str, JsonValue]
    versions: list[int]  # every saved version; [version] for a shipped template
    author: str | None = None
    saved_at: datetime | None = None

    @classmethod
    def of(cls, entry: service_templates.CatalogEntry) -> TemplateOut:
        summary = TemplateSummary.of(entry)
        return cls(
            **summary.model_dump(),
            workflow=entry.template.workflow,
            schedule=entry.template.schedule,
            versions=list(entry.versions) or [entry.template.version],
            author=entry.author,
            saved_at=entry.saved_at,
        )


class TemplateList(Out):
    items: list[TemplateSummary]


class TemplateSave(Strict):
    """A template document (see docs/templates.md); the version is the next one, always."""

    name: TemplateName
    description: str = Field(min_length=1, max_length=4000)
    parameters: list[JsonDocument] = Field(default_factory=list, max_length=50)
    workflow: JsonDocument
    schedule: JsonDocument


class Instantiate(Strict):
    schedule_name: Name
    workflow_name: Name | None = None  # default: the schedule's name
    parameters: JsonDocument = Field(default_factory=dict)
    version: Annotated[int, Field(ge=1, le=2**31 - 1, strict=False), JSON_INTEGER] | None = (
        None  # default: the newest
    )
    paused: bool = False


class RecordUse(Strict):
    parameters: JsonDocument = Field(default_factory=dict)
    version: Annotated[int, Field(ge=1, le=2**31 - 1, strict=False), JSON_INTEGER] | None = (
        None  # default: the newest
    )


class OriginOut(Out):
    schedule_id: int
    template: str
    template_version: int
    source: template_records.TemplateSource
    parameters: dict[str, JsonValue]
    created_at: datetime

    @classmethod
    def of(cls, origin: template_records.ScheduleOrigin) -> OriginOut:
        return cls(
            schedule_id=origin.schedule_id,
            template=origin.template,
            template_version=origin.template_version,
            source=origin.source,
            parameters=origin.parameters,
            created_at=origin.created_at,
        )


class InstanceOut(OriginOut):
    workflow_id: int

    @classmethod
    def of_instance(cls, instance: service_templates.Instance) -> InstanceOut:
        return cls(**OriginOut.of(instance.origin).model_dump(), workflow_id=instance.workflow.id)


class OriginList(Out):
    items: list[OriginOut]
