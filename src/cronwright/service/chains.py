"""Runs started by ``trigger`` steps: the :class:`~cronwright.actions.trigger.ChainStarter` the
registry's trigger kind is given."""

from __future__ import annotations

from cronwright import clock, domain
from cronwright.domain import schedule as schedule_defaults
from cronwright.store import contracts


class ChainStarter:
    def __init__(
        self, store: contracts.Catalog, slots: contracts.SlotLedger, clock: clock.Clock
    ) -> None:
        self._store = store
        self._slots = slots
        self._clock = clock

    def start_chained(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        input: domain.JsonObject,
        reason: str,
    ) -> domain.RunId:
        self._store.get_workflow(org_id, workflow_id)  # WorkflowNotFound: deleted since saved
        now = self._clock.now()
        run = domain.NewRun(
            org_id=org_id,
            workflow_id=workflow_id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.CHAIN,
            scheduled_for=now,
            available_at=now,
            max_attempts=schedule_defaults.DEFAULT_MAX_ATTEMPTS,
            created_at=now,
            reason=reason,
            input=input,
        )
        (created,) = self._slots.add_runs([run]).runs
        return created.id
