"""Runs across the organization: list with filters, and one run with its steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cronwright import domain
from cronwright.api.auth import Editor, Viewer
from cronwright.api.deps import ContainerDep, QueueDep, ServiceDep, TriggersDep
from cronwright.api.openapi import problems
from cronwright.api.params import CursorDep, Limit, RunFilterDep, RunIdPath
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import runs as schemas
from cronwright.api.schemas.common import MAX_ID
from cronwright.web.params import Digits

router = APIRouter(prefix=f"{API_PREFIX}/runs", tags=["runs"])


@router.get("", operation_id="listRuns", responses=problems(400, 401, 422))
def list_runs(
    caller: Viewer,
    service: ServiceDep,
    where: RunFilterDep,
    cursor: CursorDep,
    limit: Limit = domain.DEFAULT_PAGE_SIZE,
    schedule_id: Annotated[int | None, Query(ge=1, le=MAX_ID), Digits] = None,
) -> schemas.RunPage:
    """Newest first; `since`/`until` bound `scheduled_for`."""
    scoped = domain.RunFilter(
        schedule_id=None if schedule_id is None else domain.ScheduleId(schedule_id),
        states=where.states,
        triggers=where.triggers,
        since=where.since,
        until=where.until,
    )
    page = service.runs.list(caller.org_id, scoped, cursor=cursor, limit=limit)
    return schemas.RunPage(
        items=[schemas.RunOut.of(run) for run in page.items], next_cursor=page.next_cursor
    )


@router.get("/{run_id}", operation_id="getRun", responses=problems(400, 401, 404))
def get_run(caller: Viewer, run_id: RunIdPath, service: ServiceDep) -> schemas.RunDetail:
    """A run and the steps of every attempt."""
    run = service.runs.get(caller.org_id, domain.RunId(run_id))
    steps = service.runs.steps(caller.org_id, run.id)
    return schemas.RunDetail(
        **schemas.RunOut.of(run).model_dump(),
        steps=[schemas.RunStepOut.of(step) for step in steps],
    )


@router.post(
    "/{run_id}/cancel", operation_id="cancelRun", responses=problems(400, 401, 403, 404, 409)
)
def cancel_run(
    caller: Editor, run_id: RunIdPath, queue: QueueDep, container: ContainerDep
) -> schemas.RunOut:
    """Cancel a pending or running run (a running one stops at its next heartbeat); 409 if it
    already ended."""
    run = queue.cancel(
        caller.org_id,
        domain.RunId(run_id),
        now=container.clock.now(),
        reason=f"cancelled by {caller.author}",
    )
    return schemas.RunOut.of(run)


@router.post(
    "/{run_id}/retry",
    operation_id="retryRun",
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 401, 403, 404, 409),
)
def retry_run(caller: Editor, run_id: RunIdPath, triggers: TriggersDep) -> schemas.RunOut:
    """A new `retry` run of a failed, timed out or cancelled run (409 for any other state)."""
    return schemas.RunOut.of(triggers.retry_run(caller.org_id, domain.RunId(run_id)))
