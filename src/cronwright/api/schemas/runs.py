"""Runs and their steps as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, JsonValue

from cronwright import domain
from cronwright.api.schemas.common import Instant, JsonDocument, Out, Strict
from cronwright.service import triggers
from cronwright.service.triggers import BackfillOutcome


class RunStepOut(Out):
    id: int
    name: str
    kind: str
    attempt: int
    state: domain.RunState
    started_at: datetime | None
    finished_at: datetime | None
    output: JsonValue
    error: str | None

    @classmethod
    def of(cls, step: domain.RunStep) -> RunStepOut:
        return cls(
            id=step.id,
            name=step.name,
            kind=step.kind,
            attempt=step.attempt,
            state=step.state,
            started_at=step.started_at,
            finished_at=step.finished_at,
            output=step.output,
            error=step.error,
        )


class RunOut(Out):
    id: int
    workflow_id: int
    schedule_id: int | None = Field(description="null for runs no schedule made (manual, chain).")
    schedule_version_id: int | None = Field(description="The schedule version that made it.")
    trigger: domain.Trigger
    scheduled_for: datetime
    available_at: datetime
    state: domain.RunState
    reason: str | None
    attempt: int
    max_attempts: int
    worker_id: str | None
    lease_expires_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    input: dict[str, JsonValue]
    result: JsonValue
    error: str | None
    created_at: datetime

    @classmethod
    def of(cls, run: domain.Run) -> RunOut:
        return cls(
            id=run.id,
            workflow_id=run.workflow_id,
            schedule_id=run.schedule_id,
            schedule_version_id=run.schedule_version_id,
            trigger=run.trigger,
            scheduled_for=run.scheduled_for,
            available_at=run.available_at,
            state=run.state,
            reason=run.reason,
            attempt=run.attempt,
            max_attempts=run.max_attempts,
            worker_id=run.worker_id,
            lease_expires_at=run.lease_expires_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            input=dict(run.input),
            result=run.result,
            error=run.error,
            created_at=run.created_at,
        )


class RunDetail(RunOut):
    steps: list[RunStepOut]


class RunPage(Out):
    items: list[RunOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class TriggerRequest(Strict):
    input: JsonDocument | None = Field(
        default=None, description="The run's input; the schedule's own input when absent."
    )


class BackfillRequest(Strict):
    since: Instant = Field(description="First instant of the range (inclusive).")
    until: Instant = Field(description="End of the range (exclusive); not in the future.")
    dry_run: bool = Field(default=False, description="Only say what would happen.")


class BackfillSlotOut(Out):
    scheduled_for: datetime
    outcome: BackfillOutcome
    state: domain.RunState | None
    run_id: int | None
    reason: str | None


class BackfillOut(Out):
    schedule_id: int
    since: datetime
    until: datetime
    dry_run: bool
    counts: dict[BackfillOutcome, int]
    slots: list[BackfillSlotOut]

    @classmethod
    def of(cls, backfill: triggers.Backfill) -> BackfillOut:
        return cls(
            schedule_id=backfill.schedule_id,
            since=backfill.since,
            until=backfill.until,
            dry_run=backfill.dry_run,
            counts={outcome: backfill.count(outcome) for outcome in BackfillOutcome},
            slots=[
                BackfillSlotOut(
                    scheduled_for=slot.scheduled_for,
                    outcome=slot.outcome,
                    state=slot.state,
                    run_id=slot.run_id,
                    reason=slot.reason,
                )
                for slot in backfill.slots
            ],
        )
