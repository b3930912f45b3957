"""Carry out a :class:`Plan` through the service, so every change writes its versions and audit
events like any other edit, with ``author`` naming the file.

The service has no transaction spanning several entities: new schedules are created in one
transaction, every other change in its own. The plan was fully validated first, so a failure
here comes from the world changing meanwhile (a concurrent edit, a crash). Either way the file
still describes the goal: running ``apply`` again plans only what is left and converges.
"""

from __future__ import annotations

from collections.abc import Callable

from cronwright import domain, errors
from cronwright.service import Service
from cronwright.service.declarative.plan import NEW_WORKFLOW, Plan


class ChangedMeanwhile(errors.Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} changed while applying; run apply again to converge")


def execute(
    service: Service, plan: Plan, *, author: str, advance: Callable[[int], None]
) -> domain.Organization:
    """Write ``plan``; returns the organization (created if the plan says so)."""
    org = plan.org
    if org is None:
        org = service.organizations.create(plan.organization)
        advance(1)
    workflow_ids: dict[str, domain.WorkflowId] = {}
    for create in plan.workflow_creates:
        made = service.workflows.create(
            org.id, name=create.name, definition=create.definition.to_json(), author=author
        )
        workflow_ids[create.name] = made.id
        advance(1)
    for update in plan.workflow_updates:
        try:
            service.workflows.update(
                org.id,
                update.current.id,
                definition=update.definition.to_json(),
                expected_version=update.current.version,
                author=author,
            )
        except errors.StaleVersion:
            raise ChangedMeanwhile(f"workflow {update.current.name!r}") from None
        advance(1)
    # Deletions first: they free names, identities and quota that later changes may take.
    for schedule in plan.schedule_deletes:
        service.schedules.delete(org.id, schedule.id, author=author)
        advance(1)
    for item in plan.schedule_updates:
        schedule_id, version = item.current.id, item.current.version
        try:
            if item.changes:
                changes = {
                    change.field: _resolved(
                        getattr(item.spec, change.field), workflow_ids, item.workflow
                    )
                    if change.field == "workflow_id"
                    else getattr(item.spec, change.field)
                    for change in item.changes
                }
                version = service.schedules.update(
                    org.id, schedule_id, changes, author=author, expected_version=version
                ).version
            if item.pause is True:
                service.schedules.pause(
                    org.id, schedule_id, author=author, expected_version=version
                )
            elif item.pause is False:
                service.schedules.resume(
                    org.id, schedule_id, author=author, expected_version=version
                )
        except errors.StaleVersion:
            raise ChangedMeanwhile(f"schedule {item.current.spec.name!r}") from None
        advance(1)
    if plan.schedule_creates:
        service.schedules.create_many(
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
        service.workflows.delete(org.id, workflow.id)
        advance(1)
    return org


def _resolved(
    workflow_id: domain.WorkflowId, created: dict[str, domain.WorkflowId], name: str
) -> domain.WorkflowId:
    return created[name] if workflow_id == NEW_WORKFLOW else workflow_id
