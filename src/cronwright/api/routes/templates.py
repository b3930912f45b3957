"""Templates: the shipped catalog and the organization's own (versioned), and making a workflow
and a schedule from one. Reading needs a viewer; saving, deleting and instantiating an editor,
as for schedules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from cronwright import domain
from cronwright.api.auth import Editor, Viewer
from cronwright.api.deps import TemplatesDep
from cronwright.api.openapi import problems
from cronwright.api.params import ScheduleIdPath
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import templates as schemas

router = APIRouter(prefix=f"{API_PREFIX}/templates", tags=["templates"])

NamePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


@router.get("", operation_id="listTemplates", responses=problems(400, 401))
def list_templates(caller: Viewer, catalog: TemplatesDep) -> schemas.TemplateList:
    """Shipped templates, then the organization's own (newest versions)."""
    return schemas.TemplateList(
        items=[schemas.TemplateSummary.of(entry) for entry in catalog.list(caller.org_id)]
    )


@router.post(
    "",
    operation_id="saveTemplate",
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 401, 403, 409, 422),
)
def save_template(
    caller: Editor, body: schemas.TemplateSave, catalog: TemplatesDep
) -> schemas.TemplateOut:
    """Save the next version of one of the organization's templates (version 1 if new). The
    template is tried with its defaults and examples first (422 naming the place at fault);
    409 for the name of a shipped template."""
    entry = catalog.save(caller.org_id, body.model_dump(mode="json"), author=caller.author)
    return schemas.TemplateOut.of(entry)


@router.get("/{name}", operation_id="getTemplate", responses=problems(400, 401, 404, 422))
def get_template(
    caller: Viewer,
    name: NamePath,
    catalog: TemplatesDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> schemas.TemplateOut:
    return schemas.TemplateOut.of(catalog.get(caller.org_id, name, version=version))


@router.delete(
    "/{name}",
    operation_id="deleteTemplate",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(400, 401, 403, 404, 409),
)
def delete_template(caller: Editor, name: NamePath, catalog: TemplatesDep) -> Response:
    """Every version of one of the organization's templates; schedules made from it stay."""
    catalog.delete(caller.org_id, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{name}/instantiate",
    operation_id="instantiateTemplate",
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 401, 403, 404, 409, 422),
)
def instantiate_template(
    caller: Editor,
    name: NamePath,
    body: schemas.Instantiate,
    catalog: TemplatesDep,
    request: Request,
    response: Response,
) -> schemas.InstanceOut:
    """Make a workflow and a schedule from the template. A wrong value is a 422 whose field
    names the parameter (``parameters.url``)."""
    instance = catalog.instantiate(
        caller.org_id,
        name,
        schedule_name=body.schedule_name,
        workflow_name=body.workflow_name,
        parameters=body.parameters,
        version=body.version,
        paused=body.paused,
        author=caller.author,
    )
    response.headers["Location"] = str(
        request.url_for("get_schedule", schedule_id=instance.schedule.id)
    )
    return schemas.InstanceOut.of_instance(instance)


@router.get(
    "/{name}/schedules", operation_id="listTemplateSchedules", responses=problems(400, 401, 404)
)
def list_template_schedules(
    caller: Viewer, name: NamePath, catalog: TemplatesDep
) -> schemas.OriginList:
    """The schedules made from the template, with the version and values each was made with."""
    catalog.get(caller.org_id, name)  # 404 for a template the organization cannot see
    return schemas.OriginList(
        items=[schemas.OriginOut.of(origin) for origin in catalog.made_from(caller.org_id, name)]
    )


@router.put(
    "/{name}/schedules/{schedule_id}",
    operation_id="recordTemplateSchedule",
    responses=problems(400, 401, 403, 404, 422),
)
def record_template_schedule(
    caller: Editor,
    name: NamePath,
    schedule_id: ScheduleIdPath,
    body: schemas.RecordUse,
    catalog: TemplatesDep,
) -> schemas.OriginOut:
    """Record that the schedule was made from this template with these parameters, for a
    client that rendered the template itself (``cronwright apply`` through the API). The
    values recorded are the template's rendering of them (422 naming a parameter it refuses);
    a record that says so already stays as it is."""
    origin = catalog.record_use(
        caller.org_id,
        domain.ScheduleId(schedule_id),
        name,
        parameters=body.parameters,
        version=body.version,
    )
    return schemas.OriginOut.of(origin)
