"""Runs (one per scheduled slot, or per manual trigger) and the steps inside them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cronwright.domain.enums import RunState, Trigger
from cronwright.domain.ids import (
    OrganizationId,
    RunId,
    RunStepId,
    ScheduleId,
    ScheduleVersionId,
    WorkflowId,
)
from cronwright.domain.json_values import JsonObject, JsonValue
from cronwright.domain.schedule import ScheduleSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class NewRun:
    """A run to insert; the store assigns the id. A scheduled slot is unique per schedule."""

    org_id: OrganizationId
    workflow_id: WorkflowId
    schedule_id: ScheduleId | None  # None for runs not made by a schedule (manual, chain)
    schedule_version_id: ScheduleVersionId | None
    trigger: Trigger
    scheduled_for: datetime  # the slot (or the request time of a manual run)
    available_at: datetime  # not claimable before this (jitter, retry backoff)
    max_attempts: int
    created_at: datetime
    state: RunState = RunState.PENDING
    reason: str | None = None  # why a run was skipped, missed, cancelled...
    finished_at: datetime | None = None  # set for runs born terminal (skipped, missed)
    input: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    id: RunId
    org_id: OrganizationId
    workflow_id: WorkflowId
    schedule_id: ScheduleId | None
    schedule_version_id: ScheduleVersionId | None
    trigger: Trigger
    scheduled_for: datetime
    available_at: datetime
    state: RunState
    reason: str | None
    attempt: int  # 0 until first claimed
    max_attempts: int
    worker_id: str | None
    lease_expires_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    input: JsonObject
    result: JsonValue
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStep:
    id: RunStepId
    run_id: RunId
    name: str
    kind: str
    attempt: int
    state: RunState
    started_at: datetime | None
    finished_at: datetime | None
    output: JsonValue
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFilter:
    """Run history query; time bounds are on ``scheduled_for``, ``[since, until)``."""

    schedule_id: ScheduleId | None = None
    workflow_id: WorkflowId | None = None
    states: frozenset[RunState] | None = None
    triggers: frozenset[Trigger] | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOrigin:
    """The schedule version a run was made by (a slot, or a manual or retry run of a schedule):
    what its steps need to know about their slot and its data interval."""

    schedule_id: ScheduleId
    hash_key: str  # seeds the expression's H fields, as when the slot was computed
    spec: ScheduleSpec  # as of that version
