"""The ``trigger`` action kind: start a run of another workflow of the same organization.

The new run is a ``chain`` run (no schedule), claimable now, with the step's ``input`` (built
with references) as its input; the step's output is ``{"run_id": ..., "workflow_id": ...}``. It
does not wait for that run. Cycles (A triggers B triggers A) are refused when a workflow is
saved, so chains always end.

Starting runs is the service's job, which this layer may not import: the action is handed a
:class:`ChainStarter` by whoever builds the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pydantic

from cronwright import domain
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry

KIND = "trigger"


class ChainStarter(Protocol):
    def start_chained(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        input: domain.JsonObject,
        reason: str,
    ) -> domain.RunId:
        """Insert a pending ``chain`` run of ``workflow_id`` in ``org_id``; ``WorkflowNotFound``
        if the organization has no such workflow."""
        ...


class TriggerConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    # A literal id, not a reference: cycles are found on save from these ids.
    workflow_id: pydantic.StrictInt = pydantic.Field(ge=1)
    input: dict[str, pydantic.JsonValue] = pydantic.Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TriggerAction:
    config: TriggerConfig
    starter: ChainStarter

    def run(self, ctx: StepContext) -> StepOutcome:
        if ctx.org_id is None:
            return StepOutcome.failure("a trigger step needs the run's organization")
        workflow_id = domain.WorkflowId(self.config.workflow_id)
        run_id = self.starter.start_chained(
            ctx.org_id,
            workflow_id,
            input=dict(self.config.input),
            reason=f"started by step {ctx.step!r} of run {ctx.run_id} (attempt {ctx.attempt})",
        )
        return StepOutcome.success({"run_id": run_id, "workflow_id": workflow_id})


def install(registry: ActionRegistry, starter: ChainStarter) -> None:
    registry.register(KIND, TriggerConfig, lambda config: TriggerAction(config, starter))


def triggered_workflows(definition: domain.WorkflowDefinition) -> list[tuple[int, int]]:
    """``(step index, workflow id)`` for every trigger step of ``definition``."""
    found = []
    for index, step in enumerate(definition.steps):
        target = step.config.get("workflow_id") if step.kind == KIND else None
        if isinstance(target, int) and not isinstance(target, bool):
            found.append((index, target))
    return found
