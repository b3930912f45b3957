"""Carry out a :class:`Plan` through a :class:`Writer`, so every change writes its versions and
audit events like any other edit, with ``author`` naming the file.

:class:`ServiceWriter` writes through the service layer (the database); the admin CLI has one
that writes through a server's API. The plan's logic (the order of the writes, the ids of the
workflows it creates, what a concurrent change means) is here, once, for both.

Nothing spans several entities: new schedules are created in one transaction on the database
(one request each through the API), every other change is its own. The plan was fully
validated first, so a failure here comes from the world changing meanwhile (a concurrent edit,
a crash). Either way the file still describes the goal: running ``apply`` again plans only what
is left and converges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from cronwright import domain, errors
from cronwright.service import Service
from cronwright.service.declarative.plan import NEW_WORKFLOW, Plan


class ChangedMeanwhile(errors.Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} changed while applying; run apply again to converge")


class Writer(Protocol):
    """The writes a plan makes, in one organization. Each raises ``errors.PreconditionFailed``
    when what the plan read no longer holds: the version it names has moved on, or a name it
    creates was taken meanwhile; nothing is written then."""

    def create_organization(self, name: str) -> domain.Organization: ...

    def create_workflow(
        self,
        org_id: domain.OrganizationId,
        name: str,
        definition: domain.WorkflowDefinition,
        *,
        author: str,
    ) -> domain.WorkflowId: ...

    def update_workflow(
        self,
        org_id: domain.OrganizationId,
        current: domain.Workflow,
        definition: domain.WorkflowDefinition,
        *,
        author: str,
    ) -> None:
        """Only if ``current`` is still at its version."""
        ...

    def delete_workflow(self, org_id: domain.OrganizationId, workflow: domain.Workflow) -> None:
        """``Conflict`` while a schedule still runs it."""
        ...

    def delete_schedule(
        self, org_id: domain.OrganizationId, schedule: domain.Schedule, *, author: str
    ) -> None: ...

    def update_schedule(
        self,
        org_id: domain.OrganizationId,
        current: domain.Schedule,
        spec: domain.ScheduleSpec,
        changes: Mapping[str, Any],
        *,
        author: str,
    ) -> int:
        """Make ``current`` (still at its version) ``spec``, which differs from it by
        ``changes`` (spec field -> new value; never ``paused``); the new version."""
        ...

    def set_paused(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        paused: bool,
        *,
        version: int,
        author: str,
    ) -> None:
        """Pause or resume the schedule, still at ``version``."""
        ...

    def create_schedules(
        self, org_id: domain.OrganizationId, specs: Sequence[domain.ScheduleSpec], *, author: str
    ) -> None:
        """New schedules, whose names no schedule may have taken meanwhile."""
        ...


class ServiceWriter:
    """The database, through the service: new schedules in one transaction."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def create_organization(self, name: str) -> domain.Organization:
        return self._service.organizations.create(name)

    def create_workflow(
        self,
        org_id: domain.OrganizationId,
        name: str,
        definition: domain.WorkflowDefinition,
        *,
        author: str,
    ) -> domain.WorkflowId:
        try:
            made = self._service.workflows.create(
                org_id, name=name, definition=definition.to_json(), author=author
            )
        except errors.NameTaken as taken:
            raise errors.PreconditionFailed(str(taken), condition="If-None-Match") from None
        return made.id

    def update_workflow(
        self,
        org_id: domain.OrganizationId,
        current: domain.Workflow,
        definition: domain.WorkflowDefinition,
        *,
        author: str,
    ) -> None:
        self._service.workflows.update(
            org_id,
            current.id,
            definition=definition.to_json(),
            expected_version=current.version,
            author=author,
        )

    def delete_workflow(self, org_id: domain.OrganizationId, workflow: domain.Workflow) -> None:
        self._service.workflows.delete(org_id, workflow.id)

    def delete_schedule(
        self, org_id: domain.OrganizationId, schedule: domain.Schedule, *, author: str
    ) -> None:
        self._service.schedules.delete(org_id, schedule.id, author=author)

    def update_schedule(
        self,
        org_id: domain.OrganizationId,
        current: domain.Schedule,
        spec: domain.ScheduleSpec,
        changes: Mapping[str, Any],
        *,
        author: str,
    ) -> int:
        return self._service.schedules.update(
            org_id, current.id, changes, author=author, expected_version=current.version
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
        change = self._service.schedules.pause if paused else self._service.schedules.resume
        change(org_id, schedule_id, author=author, expected_version=version)

    def create_schedules(
        self, org_id: domain.OrganizationId, specs: Sequence[domain.ScheduleSpec], *, author: str
    ) -> None:
        try:
            self._service.schedules.create_many(org_id, specs, author=author)
        except errors.ScheduleConflict as conflict:
            if conflict.same_name is None:
                raise
            raise errors.PreconditionFailed(str(conflict), condition="If-None-Match") from None


def execute(
    writer: Writer, plan: Plan, *, author: str, advance: Callable[[int], None]
) -> domain.Organization:
    """Write ``plan``; returns the organization (created if the plan says so)."""
    org = plan.org
    if org is None:
        org = writer.create_organization(plan.organization)
        advance(1)
    workflow_ids: dict[str, domain.WorkflowId] = {}
    for create in plan.workflow_creates:
        with _changed(f"workflow {create.name!r}"):
            workflow_ids[create.name] = writer.create_workflow(
                org.id, create.name, create.definition, author=author
            )
        advance(1)
    for update in plan.workflow_updates:
        with _changed(f"workflow {update.current.name!r}"):
            writer.update_workflow(org.id, update.current, update.definition, author=author)
        advance(1)
    # Deletions first: they free names, identities and quota that later changes may take.
    for schedule in plan.schedule_deletes:
        writer.delete_schedule(org.id, schedule, author=author)
        advance(1)
    for item in plan.schedule_updates:
        version = item.current.version
        with _changed(f"schedule {item.current.spec.name!r}"):
            if item.changes:
                spec = item.spec.replace(
                    paused=item.current.spec.paused,
                    workflow_id=_resolved(item.spec.workflow_id, workflow_ids, item.workflow),
                )
                changes = {change.field: getattr(spec, change.field) for change in item.changes}
                version = writer.update_schedule(org.id, item.current, spec, changes, author=author)
            if item.pause is not None:
                writer.set_paused(
                    org.id, item.current.id, item.pause, version=version, author=author
                )
        advance(1)
    if plan.schedule_creates:
        with _changed("the organization's schedules"):
            writer.create_schedules(
                org.id,
                [
                    item.spec.replace(
                        workflow_id=_resolved(item.spec.workflow_id, workflow_ids, item.workflow)
                    )
                    for item in plan.schedule_creates
                ],
                author=author,
            )
        advance(len(plan.schedule_creates))
    for workflow in plan.workflow_deletes:
        writer.delete_workflow(org.id, workflow)
        advance(1)
    return org


@contextmanager
def _changed(what: str) -> Iterator[None]:
    try:
        yield
    except errors.PreconditionFailed:
        raise ChangedMeanwhile(what) from None


def _resolved(
    workflow_id: domain.WorkflowId, created: dict[str, domain.WorkflowId], name: str
) -> domain.WorkflowId:
    return created[name] if workflow_id == NEW_WORKFLOW else workflow_id
