"""``cronwright apply`` through a server's API, as the API key's organization.

The plan is made here by the code that makes it on the database (:mod:`cronwright.service
.declarative`), from what the client reads; :class:`ApiWriter` then writes it with the API's
by-name routes, each write conditional on what the plan read (``If-Match`` with the version,
``If-None-Match: *`` for what it creates), so a change someone made meanwhile stops apply
instead of being overwritten. Templates come from ``/templates``, rendered here.

What the API cannot show is planned as well as it can be: secret values of step configs read
``***``, so workflows are compared with them masked (a change of a secret value alone is not
seen), and new schedules are created one request each rather than in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from cronwright import client, clock, domain, errors
from cronwright.actions import secret_values
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.cli.admin import from_api
from cronwright.service import declarative, workflow_graph
from cronwright.service import templates as service_templates
from cronwright.service import workflows as service_workflows

_NO_ORGANIZATION = domain.OrganizationId(0)


def applier(
    api: client.Client,
    organization: domain.Organization,
    *,
    clock: clock.Clock,
    retry_defaults: domain.RetryDefaults,
) -> declarative.Applier:
    """Plans against, and applies to, ``organization`` (the key's) through ``api``."""

    def workflows(org_id: domain.OrganizationId) -> list[domain.Workflow]:
        return [
            from_api.workflow(out, org_id) for out in api.workflows.iter(limit=domain.MAX_PAGE_SIZE)
        ]

    def check_triggers(
        org_id: domain.OrganizationId | None,
        definition: domain.WorkflowDefinition,
        workflow_id: domain.WorkflowId | None,
    ) -> None:
        workflow_graph.check_triggers(
            _ReadOnce(lambda: workflows(organization.id)),
            org_id or _NO_ORGANIZATION,
            definition,
            workflow_id=workflow_id,
        )

    planner = declarative.Planner(
        organizations=lambda: [organization],
        workflows=workflows,
        schedules=lambda org_id: [
            from_api.schedule(out, org_id) for out in api.schedules.iter(limit=domain.MAX_PAGE_SIZE)
        ],
        parse_definition=service_workflows.parse,  # as apply on the database checks them
        check_triggers=check_triggers,
        now=clock.now,
        retry_defaults=retry_defaults,
        shown=masked,
    )
    return declarative.Applier(planner, ApiWriter(api), catalog=ApiCatalog(api))


def masked(definition: domain.WorkflowDefinition) -> domain.WorkflowDefinition:
    """``definition`` as the API shows it: secret values read ``***``."""
    steps = tuple(
        dataclasses.replace(step, config=secret_values.masked_config(step.kind, step.config))
        for step in definition.steps
    )
    return dataclasses.replace(definition, steps=steps)


class _ReadOnce:
    """The organization's workflows for the trigger checks, read when first needed (only a
    definition with trigger steps needs them)."""

    def __init__(self, read: Callable[[], list[domain.Workflow]]) -> None:
        self._read = read
        self._known: workflow_graph.Known | None = None

    def _workflows(self) -> workflow_graph.Known:
        if self._known is None:
            self._known = workflow_graph.Known(self._read())
        return self._known

    def get_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> domain.Workflow:
        return self._workflows().get_workflow(org_id, workflow_id)

    def list_workflows(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[domain.Workflow]:
        return self._workflows().list_workflows(org_id, after_id=after_id, limit=limit)


@contextmanager
def _conditional() -> Iterator[None]:
    """The server's 412 as the plan's writers say it."""
    try:
        yield
    except client.PreconditionFailed as exc:
        raise errors.PreconditionFailed(exc.detail or exc.title) from None


def _fields(spec: domain.ScheduleSpec) -> dict[str, Any]:
    """Every field of ``spec`` but its name (the path's) as the API names them: the file is
    the whole truth, the retry fields included."""
    fields = schedule_schemas.ScheduleSpecOut.fields_of(spec)
    del fields["name"]
    return fields


class ApiWriter:
    """:class:`cronwright.service.declarative.Writer` through the API; the server names the
    API key as the author of every change."""

    def __init__(self, api: client.Client) -> None:
        self._api = api

    def create_organization(self, name: str) -> domain.Organization:
        raise AssertionError("through the API the organization is the key's, which exists")

    def create_workflow(
        self,
        org_id: domain.OrganizationId,
        name: str,
        definition: domain.WorkflowDefinition,
        *,
        author: str,  # the server records the API key as the author
    ) -> domain.WorkflowId:
        with _conditional():
            made = self._api.workflows.put(name, definition=definition.to_json(), create_only=True)
        return domain.WorkflowId(made.id)

    def update_workflow(
        self,
        org_id: domain.OrganizationId,
        current: domain.Workflow,
        definition: domain.WorkflowDefinition,
        *,
        author: str,  # the server records the API key as the author
    ) -> None:
        with _conditional():
            self._api.workflows.put(
                current.name, definition=definition.to_json(), version=current.version
            )

    def delete_workflow(self, org_id: domain.OrganizationId, workflow: domain.Workflow) -> None:
        self._api.workflows.delete(workflow.id)

    def delete_schedule(
        self, org_id: domain.OrganizationId, schedule: domain.Schedule, *, author: str
    ) -> None:
        self._api.schedules.delete(schedule.id)

    def update_schedule(
        self,
        org_id: domain.OrganizationId,
        current: domain.Schedule,
        spec: domain.ScheduleSpec,
        changes: Mapping[str, Any],
        *,
        author: str,
    ) -> int:
        with _conditional():
            return self._api.schedules.put(
                spec.name, version=current.version, **_fields(spec)
            ).version

    def set_paused(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        paused: bool,
        *,
        version: int,
        author: str,
    ) -> None:
        change = self._api.schedules.pause if paused else self._api.schedules.resume
        with _conditional():
            change(schedule_id, version=version)

    def create_schedules(
        self, org_id: domain.OrganizationId, specs: Sequence[domain.ScheduleSpec], *, author: str
    ) -> None:
        for spec in specs:
            with _conditional():
                self._api.schedules.put(spec.name, create_only=True, **_fields(spec))


class ApiCatalog:
    """The templates of ``/templates`` for apply's ``template:`` entries."""

    def __init__(self, api: client.Client) -> None:
        self._api = api

    def get(
        self, org_id: domain.OrganizationId, name: str, *, version: int | None = None
    ) -> service_templates.CatalogEntry:
        try:
            return from_api.catalog_entry(self._api.templates.get(name, version=version))
        except (client.NotFound, client.BadRequest):  # 400: not even a template's name
            at = name if version is None else f"{name}@{version}"
            raise errors.TemplateNotFound(at) from None

    def record(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        entry: service_templates.CatalogEntry,
        values: dict[str, domain.JsonValue],
    ) -> object:
        return self._api.templates.record(
            entry.template.name,
            schedule_id,
            parameters=dict(values),
            version=entry.template.version,
        )
