"""Schedules of a declaration made from a template (``template:`` in a schedule entry).

Each becomes what a user could have written by hand: a workflow entry (named by the entry's
``workflow``, default the schedule's name) and a schedule entry with the template's fields, the
entry's own fields overriding them. The planner then compares, validates and applies them like
any other, and after applying, each schedule records the template, version and values it came
from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cronwright import domain, errors, templates
from cronwright.service.declarative.document import Document, ScheduleEntry, WorkflowEntry
from cronwright.service.templates import CatalogEntry


class Catalog(Protocol):
    """Where templates come from: :class:`cronwright.service.templates.Templates` on the
    database; the admin CLI has one over a server's API."""

    def get(
        self, org_id: domain.OrganizationId, name: str, *, version: int | None = None
    ) -> CatalogEntry:
        """``errors.NotFound`` for a template the organization does not have."""
        ...

    def record(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        entry: CatalogEntry,
        values: dict[str, domain.JsonValue],
    ) -> object:
        """Remember that the schedule was made from ``entry`` with ``values``."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateUsed:
    schedule: str  # the schedule's name
    entry: CatalogEntry
    values: dict[str, domain.JsonValue]


def expand(
    document: Document, catalog: Catalog, org_id: domain.OrganizationId | None
) -> tuple[Document, tuple[TemplateUsed, ...]]:
    """``document`` with every templated schedule spelled out; ``ApplyError`` pointing at the
    entry's ``template`` (``schedules[2].template.parameters.url``) for what is wrong there."""
    source = document.source
    workflows = list(document.workflows)
    declared = {entry.name: entry.path for entry in document.workflows}
    schedules: list[ScheduleEntry] = []
    used: list[TemplateUsed] = []
    for entry in document.schedules:
        use = entry.template
        if use is None:
            schedules.append(entry)
            continue
        where = f"{entry.path}.template"
        try:
            found = catalog.get(org_id or domain.OrganizationId(0), use.name, version=use.version)
        except errors.NotFound:
            version = "" if use.version is None else f" version {use.version}"
            raise source.error(f"{where}.name", f"no template {use.name!r}{version}") from None
        rendered = _rendered(found.template, use.parameters, where, source.error)
        if entry.workflow in declared:
            raise source.error(
                f"{entry.path}.workflow",
                f"the template makes workflow {entry.workflow!r}, which {declared[entry.workflow]} "
                "declares too; give the schedule a workflow name of its own",
            )
        declared[entry.workflow] = where
        workflows.append(
            WorkflowEntry(path=where, name=entry.workflow, definition=dict(rendered[0]))
        )
        schedules.append(
            dataclasses.replace(entry, fields={**rendered[1], **entry.fields}, template=None)
        )
        used.append(TemplateUsed(schedule=entry.name, entry=found, values=rendered[2]))
    expanded = dataclasses.replace(document, workflows=tuple(workflows), schedules=tuple(schedules))
    return expanded, tuple(used)


def _rendered(
    template: templates.Template,
    given: dict[str, object],
    where: str,
    error: Callable[[str, str], Exception],
) -> tuple[domain.JsonObject, dict[str, object], dict[str, domain.JsonValue]]:
    try:
        rendered = template.render(given)
        fields = templates.spec_fields(rendered.schedule, field="schedule")
    except errors.InvalidInput as exc:
        raise error(f"{where}.{exc.field}", exc.message) from None
    return rendered.workflow, fields, rendered.values


def record(
    catalog: Catalog,
    schedules: Callable[[domain.OrganizationId], list[domain.Schedule]],
    org_id: domain.OrganizationId,
    used: tuple[TemplateUsed, ...],
) -> None:
    """After applying: each templated schedule records its template, version and values."""
    if not used:
        return
    by_name = {schedule.spec.name: schedule.id for schedule in schedules(org_id)}
    for item in used:
        if item.schedule in by_name:
            catalog.record(org_id, by_name[item.schedule], item.entry, item.values)
