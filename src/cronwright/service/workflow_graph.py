"""Checks on a workflow definition that need more than its own structure: its references, and
the trigger graph of its organization (which workflows start which).

A trigger cycle (A starts B, B starts A) would make runs forever, so saving the workflow that
closes one is refused, naming the cycle. A workflow being created cannot close a cycle (nothing
triggers it yet), but its targets must exist in the same organization.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from cronwright import domain, errors
from cronwright.actions import references, trigger
from cronwright.domain import graph

_PAGE = 500


class WorkflowReader(Protocol):
    """What the trigger checks read: the store's catalog, or workflows already read."""

    def get_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> domain.Workflow:
        """``WorkflowNotFound`` if absent, deleted or another organization's."""
        ...

    def list_workflows(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[domain.Workflow]:
        """Live workflows with ``id > after_id``, ascending."""
        ...


class Known:
    """A :class:`WorkflowReader` over workflows of one organization read before."""

    def __init__(self, workflows: Iterable[domain.Workflow]) -> None:
        self._workflows = sorted(workflows, key=lambda workflow: workflow.id)
        self._by_id = {workflow.id: workflow for workflow in self._workflows}

    def get_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> domain.Workflow:
        found = self._by_id.get(workflow_id)
        if found is None or found.org_id != org_id:
            raise errors.WorkflowNotFound(workflow_id)
        return found

    def list_workflows(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[domain.Workflow]:
        after = after_id or 0
        return [w for w in self._workflows if w.org_id == org_id and w.id > after][:limit]


def check_references(definition: domain.WorkflowDefinition) -> None:
    """``InvalidInput`` for a malformed reference or one to a step that is not upstream."""
    references.check_definition(definition)


def check_triggers(
    store: WorkflowReader,
    org_id: domain.OrganizationId,
    definition: domain.WorkflowDefinition,
    *,
    workflow_id: domain.WorkflowId | None,
) -> None:
    """``InvalidInput`` naming the step when a trigger target is not a workflow of ``org_id``, or
    when saving ``definition`` as ``workflow_id`` would close a trigger cycle."""
    targets = trigger.triggered_workflows(definition)
    if not targets:
        return
    for index, target in targets:
        if target != workflow_id:
            try:
                store.get_workflow(org_id, domain.WorkflowId(target))
            except errors.WorkflowNotFound:
                raise errors.InvalidInput(
                    field=f"definition.steps[{index}].config",
                    message=f"workflow_id: no workflow {target} in this organization",
                ) from None
    if workflow_id is None:
        return
    workflows = {w.id: w for w in _all_workflows(store, org_id)}
    edges: dict[int, list[int]] = {
        wid: [t for _, t in trigger.triggered_workflows(w.definition)]
        for wid, w in workflows.items()
    }
    edges[workflow_id] = [t for _, t in targets]
    cycle = graph.cycle_through(workflow_id, edges)
    if cycle is not None:
        names = " -> ".join(_label(workflows.get(domain.WorkflowId(w)), w) for w in cycle)
        index = next(i for i, t in targets if t == cycle[1])
        raise errors.InvalidInput(
            field=f"definition.steps[{index}].config",
            message=f"trigger cycle: {names}; a workflow may not start itself, even through others",
        )


def _label(workflow: domain.Workflow | None, workflow_id: int) -> str:
    return f"{workflow.name!r} ({workflow_id})" if workflow else str(workflow_id)


def _all_workflows(
    store: WorkflowReader, org_id: domain.OrganizationId
) -> Iterator[domain.Workflow]:
    after: int | None = None
    while True:
        page = store.list_workflows(org_id, after_id=after, limit=_PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id
