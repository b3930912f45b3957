"""Schedules: CRUD, pause/resume, history, preview, versions, diff and rollback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from cronwright import domain
from cronwright.api import etags
from cronwright.api.auth import Editor, Viewer
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.params import (
    CursorDep,
    IfMatch,
    Limit,
    RunFilterDep,
    ScheduleIdPath,
    VersionPath,
)
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import runs as run_schemas
from cronwright.api.schemas import schedules as schemas
from cronwright.api.schemas.common import MAX_ID, Text
from cronwright.service import preview as service_preview
from cronwright.web.params import Digits

router = APIRouter(prefix=f"{API_PREFIX}/schedules", tags=["schedules"])

ETAG_HEADER = {"ETag": {"description": "The schedule's version.", "schema": {"type": "string"}}}
CREATED_HEADERS = {
    **ETAG_HEADER,
    "Location": {"description": "The new schedule's URL.", "schema": {"type": "string"}},
}


def _with_etag(response: Response, schedule: domain.Schedule) -> schemas.ScheduleOut:
    response.headers["ETag"] = etags.etag(schedule.version)
    return schemas.ScheduleOut.of_schedule(schedule)


def _sid(schedule_id: int) -> domain.ScheduleId:
    return domain.ScheduleId(schedule_id)


@router.post(
    "",
    operation_id="createSchedule",
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": CREATED_HEADERS}, **problems(400, 401, 403, 409, 422)},
)
def create_schedule(
    caller: Editor,
    body: schemas.ScheduleCreate,
    service: ServiceDep,
    request: Request,
    response: Response,
) -> schemas.ScheduleOut:
    """Create a schedule for one of the organization's workflows (409 for a duplicate of an
    existing schedule or a full quota, 422 for an expression that never fires and the like)."""
    spec = service.schedules.new_spec(**body.spec_fields())
    schedule = service.schedules.create(caller.org_id, spec, author=caller.author)
    response.headers["Location"] = str(request.url_for("get_schedule", schedule_id=schedule.id))
    return _with_etag(response, schedule)


@router.get("", operation_id="getSchedules", responses=problems(400, 401, 422))
def list_schedules(
    caller: Viewer,
    service: ServiceDep,
    cursor: CursorDep,
    limit: Limit = domain.DEFAULT_PAGE_SIZE,
    workflow_id: Annotated[int | None, Query(ge=1, le=MAX_ID), Digits] = None,
    paused: bool | None = None,
    name_contains: Annotated[Text | None, Query(min_length=1, max_length=200)] = None,
) -> schemas.SchedulePage:
    """The organization's schedules by id, filtered, one page at a time."""
    where = domain.ScheduleFilter(
        workflow_id=None if workflow_id is None else domain.WorkflowId(workflow_id),
        paused=paused,
        name_contains=name_contains,
    )
    page = service.schedules.list(caller.org_id, where, cursor=cursor, limit=limit)
    return schemas.SchedulePage(
        items=[schemas.ScheduleOut.of_schedule(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/{schedule_id}",
    operation_id="getScheduleById",
    responses={200: {"headers": ETAG_HEADER}, **problems(400, 401, 404)},
)
def get_schedule(
    caller: Viewer, schedule_id: ScheduleIdPath, service: ServiceDep, response: Response
) -> schemas.ScheduleOut:
    return _with_etag(response, service.schedules.get(caller.org_id, _sid(schedule_id)))


@router.patch(
    "/{schedule_id}",
    operation_id="updateSchedule",
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(400, 401, 403, 404, 409, 412, 422, 428),
    },
)
def update_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    body: schemas.ScheduleChanges,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ScheduleOut:
    """Change the fields present in the body. `If-Match` (the ETag from a read) is required:
    if someone else changed the schedule since, the answer is 412 and nothing is written."""
    expected = etags.expected_version(if_match, required=True)
    schedule = service.schedules.update(
        caller.org_id,
        _sid(schedule_id),
        body.to_changes(),
        author=caller.author,
        expected_version=expected,
    )
    return _with_etag(response, schedule)


@router.delete(
    "/{schedule_id}",
    operation_id="deleteSchedule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(400, 401, 403, 404),
)
def delete_schedule(caller: Editor, schedule_id: ScheduleIdPath, service: ServiceDep) -> None:
    """Stop and remove the schedule; its versions, events and runs are kept."""
    service.schedules.delete(caller.org_id, _sid(schedule_id), author=caller.author)


_STATE_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER},
    **problems(400, 401, 403, 404, 409, 412, 422),
}


@router.post(
    "/{schedule_id}/pause", operation_id="pauseSchedule", responses=_STATE_CHANGE_RESPONSES
)
def pause_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ScheduleOut:
    """Stop firing until resumed; pausing a paused schedule changes nothing."""
    schedule = service.schedules.pause(
        caller.org_id,
        _sid(schedule_id),
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
    )
    return _with_etag(response, schedule)


@router.post(
    "/{schedule_id}/resume", operation_id="resumeSchedule", responses=_STATE_CHANGE_RESPONSES
)
def resume_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ScheduleOut:
    """Fire again from the next slot after now (slots missed while paused are not replayed)."""
    schedule = service.schedules.resume(
        caller.org_id,
        _sid(schedule_id),
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
    )
    return _with_etag(response, schedule)


@router.get(
    "/{schedule_id}/runs", operation_id="getScheduleHistory", responses=problems(400, 401, 404, 422)
)
def schedule_history(
    caller: Viewer,
    schedule_id: ScheduleIdPath,
    service: ServiceDep,
    where: RunFilterDep,
    cursor: CursorDep,
    limit: Limit = domain.DEFAULT_PAGE_SIZE,
) -> run_schemas.RunPage:
    """The schedule's runs, newest first."""
    page = service.runs.list_for_schedule(
        caller.org_id, _sid(schedule_id), where, cursor=cursor, limit=limit
    )
    return run_schemas.RunPage(
        items=[run_schemas.RunOut.of(run) for run in page.items], next_cursor=page.next_cursor
    )


def preview_out(found: service_preview.Preview) -> schemas.PreviewOut:
    return schemas.PreviewOut(
        description=found.description,
        timezone=found.timezone,
        fires=[
            schemas.PreviewFireOut(at=fire.at, local=fire.local, dst=fire.dst)
            for fire in found.fires
        ],
    )


@router.get(
    "/{schedule_id}/next", operation_id="previewSchedule", responses=problems(400, 401, 404, 422)
)
def preview_schedule(
    caller: Viewer,
    schedule_id: ScheduleIdPath,
    service: ServiceDep,
    count: Annotated[int, Query(ge=1, le=service_preview.MAX_PREVIEW), Digits] = 10,
) -> schemas.PreviewOut:
    """The next fire times from now, in UTC and in the schedule's zone, DST bends marked."""
    found = service.schedules.preview(caller.org_id, _sid(schedule_id), count=count)
    return preview_out(found)


@router.get(
    "/{schedule_id}/versions",
    operation_id="listScheduleVersions",
    responses=problems(400, 401, 404),
)
def list_versions(
    caller: Viewer, schedule_id: ScheduleIdPath, service: ServiceDep
) -> list[schemas.ScheduleVersionOut]:
    """Every version, oldest first: a full snapshot of the spec each time."""
    versions = service.schedules.versions(caller.org_id, _sid(schedule_id))
    return [schemas.ScheduleVersionOut.of(version) for version in versions]


@router.get(
    "/{schedule_id}/versions/{version}",
    operation_id="getScheduleVersion",
    responses=problems(400, 401, 404),
)
def get_version(
    caller: Viewer, schedule_id: ScheduleIdPath, version: VersionPath, service: ServiceDep
) -> schemas.ScheduleVersionOut:
    found = service.schedules.version(caller.org_id, _sid(schedule_id), version)
    return schemas.ScheduleVersionOut.of(found)


@router.get(
    "/{schedule_id}/diff", operation_id="diffScheduleVersions", responses=problems(400, 401, 404)
)
def diff_versions(
    caller: Viewer,
    schedule_id: ScheduleIdPath,
    service: ServiceDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1), Digits],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1), Digits],
) -> schemas.ScheduleDiff:
    """The fields that differ between two versions."""
    changes = service.schedules.diff(caller.org_id, _sid(schedule_id), from_version, to_version)
    return schemas.ScheduleDiff(
        from_version=from_version,
        to_version=to_version,
        changes=[schemas.FieldChangeOut.of(change) for change in changes],
    )


@router.post(
    "/{schedule_id}/rollback",
    operation_id="rollbackSchedule",
    responses={200: {"headers": ETAG_HEADER}, **problems(400, 401, 403, 404, 409, 412, 422)},
)
def rollback_schedule(
    caller: Editor,
    schedule_id: ScheduleIdPath,
    body: schemas.RollbackRequest,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ScheduleOut:
    """Write a new version equal to an old one (validated again; the history stays)."""
    schedule = service.schedules.rollback(
        caller.org_id,
        _sid(schedule_id),
        body.version,
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
    )
    return _with_etag(response, schedule)


@router.get(
    "/{schedule_id}/events", operation_id="listScheduleEvents", responses=problems(400, 401, 404)
)
def list_events(
    caller: Viewer, schedule_id: ScheduleIdPath, service: ServiceDep
) -> list[schemas.ScheduleEventOut]:
    """The audit trail: created, edited, paused, resumed, rolled back, deleted."""
    events = service.schedules.events(caller.org_id, _sid(schedule_id))
    return [schemas.ScheduleEventOut.of(event) for event in events]
