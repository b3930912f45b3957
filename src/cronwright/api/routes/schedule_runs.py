"""Runs made on request from a schedule: trigger it now, or backfill a past range of its slots."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from cronwright import domain
from cronwright.api.auth import Editor
from cronwright.api.deps import TriggersDep
from cronwright.api.openapi import problems
from cronwright.api.params import ScheduleIdPath
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import runs as schemas
from cronwright.api.schemas.common import as_json_object

router = APIRouter(prefix=f"{API_PREFIX}/schedules", tags=["schedules"])


@router.post(
    "/{schedule_id}/trigger",
    operation_id="triggerSchedule",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        202: {"headers": {"Location": {"description": "The run.", "schema": {"type": "string"}}}},
        **problems(400, 401, 403, 404, 422),
    },
)
def trigger_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    triggers: TriggersDep,
    request: Request,
    response: Response,
    body: schemas.TriggerRequest | None = None,
) -> schemas.RunOut:
    """Queue a `manual` run now (also while paused); `input` is merged over the schedule's."""
    extra = None if body is None or body.input is None else as_json_object(body.input)
    run = triggers.trigger_now(caller.org_id, domain.ScheduleId(schedule_id), extra)
    response.headers["Location"] = str(request.url_for("get_run", run_id=run.id))
    return schemas.RunOut.of(run)


@router.post(
    "/{schedule_id}/backfill",
    operation_id="backfillSchedule",
    responses=problems(400, 401, 403, 404, 422),
)
def backfill_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    body: schemas.BackfillRequest,
    triggers: TriggersDep,
) -> schemas.BackfillOut:
    """Run the slots of `[since, until)` that have no run yet (each slot runs at most once,
    whoever asks); with `dry_run`, write nothing and report what would happen to each slot."""
    done = triggers.backfill(
        caller.org_id,
        domain.ScheduleId(schedule_id),
        since=body.since,
        until=body.until,
        dry_run=body.dry_run,
    )
    return schemas.BackfillOut.of(done)
