"""Create or update by name: ``PUT /workflows|schedules|alert-channels/by-name/{name}``.

Names are unique in an organization, so a name identifies what a script means: running the same
``PUT`` twice leaves one resource, as the body describes it (201 when it was created, 200 when
it existed; nothing is written when nothing changed). ``POST`` of a name that exists is a 409
whose ``existing_id`` is the resource to update instead.

Workflows and schedules take the conditions of HTTP: ``If-Match: "3"`` (it exists, at version
3) and ``If-None-Match: *`` (it does not exist yet); a condition that fails is a 412 and
nothing is written, so a tool that read the state first never overwrites a change made since.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

from cronwright.api import etags
from cronwright.api.auth import Admin, Editor
from cronwright.api.deps import AlertChannelsDep, ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.params import IfMatch, IfNoneMatch
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import alert_channels as channel_schemas
from cronwright.api.schemas import by_name as schemas
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.api.schemas import workflows as workflow_schemas
from cronwright.api.schemas.common import Name

router = APIRouter(prefix=API_PREFIX)

NamePath = Annotated[Name, Path(description="The resource's name, unique in the organization.")]
_PUT_STATUSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "It existed: it now is as the body says."},
    201: {"description": "It did not exist: it was created."},
}


def _answer(response: Response, request: Request, created: bool, route: str, **ids: int) -> None:
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    if created:
        response.headers["Location"] = str(request.url_for(route, **ids))


@router.put(
    "/workflows/by-name/{name}",
    operation_id="putWorkflowByName",
    tags=["workflows"],
    responses={**_PUT_STATUSES, **problems(400, 401, 403, 409, 412, 422)},
)
def put_workflow(
    caller: Editor,
    name: NamePath,
    body: schemas.WorkflowPut,
    service: ServiceDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> workflow_schemas.WorkflowOut:
    """Create the workflow with this name, or replace the definition of the existing one."""
    workflow, created = service.workflows.put(
        caller.org_id,
        name=schemas.named(name, body.name),
        definition=body.definition.to_json(),
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
        create_only=etags.create_only(if_none_match),
    )
    _answer(response, request, created, "get_workflow", workflow_id=workflow.id)
    response.headers["ETag"] = etags.etag(workflow.version)
    return workflow_schemas.WorkflowOut.of(workflow)


@router.put(
    "/schedules/by-name/{name}",
    operation_id="putScheduleByName",
    tags=["schedules"],
    responses={**_PUT_STATUSES, **problems(400, 401, 403, 409, 412, 422)},
)
def put_schedule(
    caller: Editor,
    name: NamePath,
    body: schemas.SchedulePut,
    service: ServiceDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> schedule_schemas.ScheduleOut:
    """Create the schedule with this name, or make the existing one what the body says (a new
    version only when something changed). 409 if another schedule has the same workflow,
    expression, time zone and input."""
    fields = body.spec_fields()
    fields["name"] = schemas.named(name, body.name)
    spec = service.schedules.new_spec(**fields)
    schedule, created = service.schedules.put(
        caller.org_id,
        spec,
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
        create_only=etags.create_only(if_none_match),
    )
    _answer(response, request, created, "get_schedule", schedule_id=schedule.id)
    response.headers["ETag"] = etags.etag(schedule.version)
    return schedule_schemas.ScheduleOut.of_schedule(schedule)


@router.put(
    "/alert-channels/by-name/{name}",
    operation_id="putAlertChannelByName",
    tags=["alert channels"],
    responses={**_PUT_STATUSES, **problems(400, 401, 403, 409, 422)},
)
def put_channel(
    caller: Admin,
    name: NamePath,
    body: schemas.AlertChannelPut,
    channels: AlertChannelsDep,
    request: Request,
    response: Response,
) -> channel_schemas.AlertChannelOut:
    """Create the alert channel with this name, or make the existing one what the body says
    (its kind cannot change: 422)."""
    channel, created = channels.put(
        caller.org_id,
        name=schemas.named(name, body.name),
        kind=body.kind,
        target=body.target,
        events=body.events,
        secret=body.secret,
        enabled=body.enabled,
    )
    _answer(response, request, created, "get_channel", channel_id=channel.id)
    return channel_schemas.AlertChannelOut.of(channel)
