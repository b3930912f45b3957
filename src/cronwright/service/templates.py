"""Template use cases for one organization: the catalog (shipped and the organization's own,
versioned), and making a workflow and a schedule from a template.

A template is checked by the code that checks every workflow and schedule: instantiating one
goes through :meth:`Workflows.create` and :meth:`Schedules.create`, and saving one first tries
it with its defaults and examples through the same parsing and validation, writing nothing. So
no template, shipped or saved, can make what the API would refuse.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cronwright import clock, domain, errors, templates
from cronwright.domain import template_records
from cronwright.service import validation
from cronwright.service.organizations import check_name
from cronwright.service.schedules import Schedules
from cronwright.service.workflows import Workflows
from cronwright.store import contracts

TemplateNotFound = errors.TemplateNotFound


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogEntry:
    template: templates.Template
    source: template_records.TemplateSource
    author: str | None = None  # who saved this version (organization templates)
    saved_at: datetime | None = None
    versions: tuple[int, ...] = ()  # every saved version (organization templates)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """What instantiating a template made."""

    workflow: domain.Workflow
    schedule: domain.Schedule
    origin: template_records.ScheduleOrigin


class Templates:
    def __init__(
        self,
        workflows: Workflows,
        schedules: Schedules,
        store: contracts.Templates,
        clock: clock.Clock,
    ) -> None:
        self._workflows = workflows
        self._schedules = schedules
        self._store = store
        self._clock = clock

    # -- the catalog ------------------------------------------------------------------------------

    def list(self, org_id: domain.OrganizationId) -> builtins.list[CatalogEntry]:
        """Shipped templates, then the organization's own (newest versions), each by name."""
        shipped = [
            CatalogEntry(template=t, source=template_records.TemplateSource.SHIPPED)
            for t in templates.shipped()
        ]
        return shipped + [self._entry(saved) for saved in self._store.latest(org_id)]

    def get(
        self, org_id: domain.OrganizationId, name: str, *, version: int | None = None
    ) -> CatalogEntry:
        """A shipped template by name, else the organization's (``version`` or the newest);
        ``TemplateNotFound`` naming it."""
        shipped = templates.find_shipped(name)
        if shipped is not None:
            if version is not None and version != shipped.version:
                raise TemplateNotFound(f"{name}@{version}")
            return CatalogEntry(template=shipped, source=template_records.TemplateSource.SHIPPED)
        return self._entry(self._store.get(org_id, name, version))

    def save(self, org_id: domain.OrganizationId, document: object, *, author: str) -> CatalogEntry:
        """Save ``document`` as the next version of the organization's template of its name.
        ``InvalidInput`` naming the place at fault (``template.parameters[0].type``, or
        ``template.workflow.steps[0].config (parameter url)`` when trying it fails)."""
        if isinstance(document, Mapping):
            document = {key: value for key, value in document.items() if key != "version"}
        template = templates.parse_template(document)
        if templates.find_shipped(template.name) is not None:
            raise errors.Conflict(
                f"template {template.name!r} is a shipped template; save yours under another name"
            )
        self._prepare(template, template.example_values(), schedule_name="check", field="template")
        saved = self._store.save(
            org_id=org_id,
            name=template.name,
            document=template.to_json(),
            author=author,
            now=self._clock.now(),
        )
        return self._entry(saved)

    def delete(self, org_id: domain.OrganizationId, name: str) -> None:
        """Every version of the organization's template; schedules made from it are kept."""
        if templates.find_shipped(name) is not None:
            raise errors.Conflict(f"template {name!r} is shipped with cronwright and stays")
        self._store.delete(org_id, name)

    # -- using a template -------------------------------------------------------------------------

    def instantiate(
        self,
        org_id: domain.OrganizationId,
        name: str,
        *,
        schedule_name: str,
        parameters: Mapping[str, object],
        author: str,
        workflow_name: str | None = None,
        version: int | None = None,
        paused: bool = False,
    ) -> Instance:
        """Make a workflow (named ``workflow_name``, default ``schedule_name``) and a schedule
        from the template, and record which template and version they came from. Every value
        is checked before anything is written; parameter errors name the parameter."""
        entry = self.get(org_id, name, version=version)
        schedule_name = check_name(schedule_name)
        workflow_name = check_name(workflow_name or schedule_name, field="workflow_name")
        rendered, spec = self._prepare(entry.template, parameters, schedule_name=schedule_name)
        workflow = self._workflows.create(
            org_id, name=workflow_name, definition=rendered.workflow, author=author
        )
        try:
            schedule = self._schedules.create(
                org_id, spec.replace(workflow_id=workflow.id, paused=paused), author=author
            )
        except BaseException:
            # Nothing half-made stays behind: the workflow exists only for this schedule.
            self._workflows.delete(org_id, workflow.id)
            raise
        origin = template_records.ScheduleOrigin(
            schedule_id=schedule.id,
            template=entry.template.name,
            template_version=entry.template.version,
            source=entry.source,
            parameters=rendered.values,
            created_at=self._clock.now(),
        )
        self._store.record_origin(org_id, origin)
        return Instance(workflow=workflow, schedule=schedule, origin=origin)

    def preview(
        self,
        org_id: domain.OrganizationId,
        name: str,
        *,
        parameters: Mapping[str, object],
        version: int | None = None,
    ) -> templates.Rendered:
        """The workflow and schedule the template would make with ``parameters``, checked, and
        nothing written (``apply`` plans with it; ``use --dry-run`` prints it)."""
        entry = self.get(org_id, name, version=version)
        rendered, _ = self._prepare(entry.template, parameters, schedule_name="preview")
        return rendered

    def record(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        entry: CatalogEntry,
        values: dict[str, domain.JsonValue],
    ) -> template_records.ScheduleOrigin:
        """Record that the schedule was made from ``entry`` with ``values`` (``apply`` makes
        schedules from templates through its own plan); a record that says so already stays."""
        current = self.origin(org_id, schedule_id)
        wanted = (entry.template.name, entry.template.version, entry.source, values)
        if current is not None and wanted == (
            current.template,
            current.template_version,
            current.source,
            current.parameters,
        ):
            return current
        origin = template_records.ScheduleOrigin(
            schedule_id=schedule_id,
            template=entry.template.name,
            template_version=entry.template.version,
            source=entry.source,
            parameters=values,
            created_at=self._clock.now(),
        )
        self._store.record_origin(org_id, origin)
        return origin

    def record_use(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        name: str,
        *,
        parameters: Mapping[str, object],
        version: int | None = None,
    ) -> template_records.ScheduleOrigin:
        """:meth:`record` for a caller that names the template and gives its parameters (a
        client that made the schedule from the template itself, like ``apply`` through the
        API): the values recorded are the template's rendering of ``parameters``, so a record
        never holds values the template would refuse."""
        entry = self.get(org_id, name, version=version)
        rendered = entry.template.render(parameters)  # InvalidInput naming the parameter
        return self.record(org_id, schedule_id, entry, rendered.values)

    def origin(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> template_records.ScheduleOrigin | None:
        self._schedules.get(org_id, schedule_id)  # ScheduleNotFound for another org's id
        return self._store.origin(org_id, schedule_id)

    def made_from(
        self, org_id: domain.OrganizationId, name: str
    ) -> builtins.list[template_records.ScheduleOrigin]:
        return self._store.made_from(org_id, name)

    # -- helpers ----------------------------------------------------------------------------------

    def _entry(self, saved: template_records.SavedTemplate) -> CatalogEntry:
        return CatalogEntry(
            template=templates.parse_template(saved.document),
            source=template_records.TemplateSource.ORGANIZATION,
            author=saved.author,
            saved_at=saved.created_at,
            versions=tuple(self._store.versions(saved.org_id, saved.name)),
        )

    def _prepare(
        self,
        template: templates.Template,
        parameters: Mapping[str, object],
        *,
        schedule_name: str,
        field: str = "",
    ) -> tuple[templates.Rendered, domain.ScheduleSpec]:
        return rendered_and_checked(
            template,
            parameters,
            parse_definition=self._workflows.parse,
            retry_defaults=self._schedules.retry_defaults,
            now=self._clock.now(),
            schedule_name=schedule_name,
            field=field,
        )


def rendered_and_checked(
    template: templates.Template,
    parameters: Mapping[str, object],
    *,
    parse_definition: Callable[[object], domain.WorkflowDefinition],
    retry_defaults: domain.RetryDefaults,
    now: datetime,
    schedule_name: str,
    field: str = "",
) -> tuple[templates.Rendered, domain.ScheduleSpec]:
    """Render and check the workflow and schedule as the API would, writing nothing; errors
    name the place in the template and the parameters that filled it."""
    prefix = f"{field}." if field else ""
    with _blame(template, "workflow", prefix):
        rendered = template.render(parameters)
        parse_definition(rendered.workflow)
    with _blame(template, "schedule", prefix):
        fields: dict[str, Any] = templates.spec_fields(rendered.schedule, field="schedule")
        spec = validation.normalize(
            retry_defaults.spec(workflow_id=domain.WorkflowId(0), name=schedule_name, **fields)
        )
        validation.validate(spec, hash_key="template-check", now=now)
    return rendered, spec


@contextmanager
def _blame(template: templates.Template, section: str, prefix: str) -> Iterator[None]:
    """Place an error of the rendered ``section`` in the template and name the parameters that
    filled the faulty value, so the user knows which value to change."""
    try:
        yield
    except errors.InvalidInput as exc:
        field = exc.field
        if field.startswith("parameters."):
            raise
        inner = field.removeprefix("definition.").removeprefix(f"{section}.")
        used = template.parameters_at(section, inner)
        blamed = f" (set by parameter {', '.join(used)})" if used else ""
        raise errors.InvalidInput(
            field=f"{prefix}{section}.{inner}", message=f"{exc.message}{blamed}"
        ) from exc
