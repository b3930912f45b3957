"""What the store keeps about templates: an organization's saved versions, and which template a
schedule was made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cronwright.domain.ids import OrganizationId, ScheduleId
from cronwright.domain.json_values import JsonObject


class TemplateSource(StrEnum):
    SHIPPED = "shipped"  # a file of the package
    ORGANIZATION = "organization"  # saved by the organization


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedTemplate:
    org_id: OrganizationId
    name: str
    version: int  # 1 for the first save, +1 on every save
    document: JsonObject  # the template as saved (see cronwright.templates.parse_template)
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleOrigin:
    """The template a schedule was made from, its version then, and the values it was given."""

    schedule_id: ScheduleId
    template: str
    template_version: int
    source: TemplateSource
    parameters: JsonObject
    created_at: datetime
