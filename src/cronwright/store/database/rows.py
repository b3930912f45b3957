"""Conversions between table rows and domain values, in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cronwright import domain
from cronwright.store.database import schema


def organization(row: schema.OrganizationRow) -> domain.Organization:
    return domain.Organization(
        id=domain.OrganizationId(row.id),
        name=row.name,
        max_schedules=row.max_schedules,
        max_concurrent_runs=row.max_concurrent_runs,
        schedule_count=row.schedule_count,
        created_at=row.created_at,
    )


def api_key(row: schema.ApiKeyRow) -> domain.ApiKey:
    return domain.ApiKey(
        id=domain.ApiKeyId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        name=row.name,
        role=domain.Role(row.role),
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def workflow(row: schema.WorkflowRow | sa.Row[Any]) -> domain.Workflow:
    return domain.Workflow(
        id=domain.WorkflowId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        name=row.name,
        definition=domain.WorkflowDefinition.from_json(row.definition),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def workflow_version(row: schema.WorkflowVersionRow) -> domain.WorkflowVersion:
    return domain.WorkflowVersion(
        workflow_id=domain.WorkflowId(row.workflow_id),
        version=row.version,
        name=row.name,
        definition=domain.WorkflowDefinition.from_json(row.definition),
        author=row.author,
        created_at=row.created_at,
    )


def spec_columns(spec: domain.ScheduleSpec) -> dict[str, Any]:
    """The schedule columns that hold ``spec``: one column per field, plus the input digest."""
    values: dict[str, Any] = {name: getattr(spec, name) for name in domain.SPEC_FIELDS}
    for name in ("dst_gap", "dst_fold", "catchup", "overlap"):
        values[name] = str(values[name].value)
    values["input_digest"] = domain.json_digest(spec.input)
    return values


def spec(row: schema.ScheduleRow | sa.Row[Any]) -> domain.ScheduleSpec:
    return domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(row.workflow_id),
        name=row.name,
        cron=row.cron,
        timezone=row.timezone,
        paused=row.paused,
        start_at=row.start_at,
        end_at=row.end_at,
        input=row.input,
        dst_gap=domain.DstGapPolicy(row.dst_gap),
        dst_fold=domain.DstFoldPolicy(row.dst_fold),
        catchup=domain.CatchupPolicy(row.catchup),
        catchup_window=row.catchup_window,
        misfire_grace=row.misfire_grace,
        overlap=domain.OverlapPolicy(row.overlap),
        max_attempts=row.max_attempts,
        backoff_initial=row.backoff_initial,
        backoff_factor=row.backoff_factor,
        backoff_max=row.backoff_max,
        timeout=row.timeout,
        jitter=row.jitter,
    )


def schedule(
    row: schema.ScheduleRow | sa.Row[Any], *, known_spec: domain.ScheduleSpec | None = None
) -> domain.Schedule:
    """``known_spec``: the row's spec, read from it earlier (a spec changes with the version)."""
    return domain.Schedule(
        id=domain.ScheduleId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        hash_key=row.hash_key,
        spec=spec(row) if known_spec is None else known_spec,
        next_fire_at=row.next_fire_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def schedule_version(row: schema.ScheduleVersionRow) -> domain.ScheduleVersion:
    return domain.ScheduleVersion(
        id=domain.ScheduleVersionId(row.id),
        schedule_id=domain.ScheduleId(row.schedule_id),
        version=row.version,
        spec=domain.ScheduleSpec.from_json(row.snapshot),
        author=row.author,
        created_at=row.created_at,
    )


def schedule_event(row: schema.ScheduleEventRow) -> domain.ScheduleEvent:
    return domain.ScheduleEvent(
        id=row.id,
        schedule_id=domain.ScheduleId(row.schedule_id),
        kind=domain.ScheduleEventKind(row.kind),
        version=row.version,
        author=row.author,
        detail=row.detail,
        created_at=row.created_at,
    )


def new_run_values(run: domain.NewRun) -> dict[str, Any]:
    """The ``runs`` columns of a run about to be inserted (attempt 0, no result yet)."""
    return {
        "org_id": run.org_id,
        "workflow_id": run.workflow_id,
        "schedule_id": run.schedule_id,
        "schedule_version_id": run.schedule_version_id,
        "trigger": run.trigger.value,
        "scheduled_for": run.scheduled_for,
        "available_at": run.available_at,
        "state": run.state.value,
        "reason": run.reason,
        "attempt": 0,
        "max_attempts": run.max_attempts,
        "finished_at": run.finished_at,
        "input": run.input,
        "result": None,
        "created_at": run.created_at,
    }


def run(row: schema.RunRow) -> domain.Run:
    return run_with(
        row,
        state=domain.RunState(row.state),
        reason=row.reason,
        attempt=row.attempt,
        worker_id=row.worker_id,
        lease_expires_at=row.lease_expires_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        result=row.result,
        error=row.error,
    )


def run_with(
    row: Any,
    *,
    state: domain.RunState,
    reason: str | None,
    attempt: int,
    worker_id: str | None,
    lease_expires_at: datetime | None,
    started_at: datetime | None,
    finished_at: datetime | None,
    result: domain.JsonValue,
    error: str | None,
) -> domain.Run:
    """A run from ``row``'s fixed columns (what a run is: ids, trigger, slot, input) and the
    given state columns: the claim and the finish know those without reading them back."""
    return domain.Run(
        id=domain.RunId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        workflow_id=domain.WorkflowId(row.workflow_id),
        schedule_id=None if row.schedule_id is None else domain.ScheduleId(row.schedule_id),
        schedule_version_id=(
            None
            if row.schedule_version_id is None
            else domain.ScheduleVersionId(row.schedule_version_id)
        ),
        trigger=domain.Trigger(row.trigger),
        scheduled_for=row.scheduled_for,
        available_at=row.available_at,
        state=state,
        reason=reason,
        attempt=attempt,
        max_attempts=row.max_attempts,
        worker_id=worker_id,
        lease_expires_at=lease_expires_at,
        started_at=started_at,
        finished_at=finished_at,
        input=row.input,
        result=result,
        error=error,
        created_at=row.created_at,
    )


def run_step(row: schema.RunStepRow) -> domain.RunStep:
    return domain.RunStep(
        id=domain.RunStepId(row.id),
        run_id=domain.RunId(row.run_id),
        name=row.name,
        kind=row.kind,
        attempt=row.attempt,
        state=domain.RunState(row.state),
        started_at=row.started_at,
        finished_at=row.finished_at,
        output=row.output,
        error=row.error,
    )
