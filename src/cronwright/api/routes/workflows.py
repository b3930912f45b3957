"""Workflows CRUD, versions and rollback. A workflow still used by a live schedule cannot be
deleted (409)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from cronwright import domain
from cronwright.api import etags
from cronwright.api.auth import Editor, Viewer
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.params import CursorDep, IfMatch, Limit, VersionPath, WorkflowIdPath
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import workflows as schemas

router = APIRouter(prefix=f"{API_PREFIX}/workflows", tags=["workflows"])

ETAG_HEADER = {"ETag": {"description": "The workflow's version.", "schema": {"type": "string"}}}


def _with_etag(response: Response, workflow: domain.Workflow) -> schemas.WorkflowOut:
    response.headers["ETag"] = etags.etag(workflow.version)
    return schemas.WorkflowOut.of(workflow)


@router.post(
    "",
    operation_id="createWorkflow",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "headers": {
                **ETAG_HEADER,
                "Location": {"description": "The workflow's URL.", "schema": {"type": "string"}},
            }
        },
        **problems(400, 401, 403, 409, 422),
    },
)
def create_workflow(
    caller: Editor,
    body: schemas.WorkflowCreate,
    service: ServiceDep,
    request: Request,
    response: Response,
) -> schemas.WorkflowOut:
    workflow = service.workflows.create(
        caller.org_id,
        name=body.name,
        definition=body.definition.to_json(),
        author=caller.author,
    )
    response.headers["Location"] = str(request.url_for("get_workflow", workflow_id=workflow.id))
    return _with_etag(response, workflow)


@router.get("", operation_id="listWorkflows", responses=problems(400, 401, 422))
def list_workflows(
    caller: Viewer, service: ServiceDep, cursor: CursorDep, limit: Limit = domain.DEFAULT_PAGE_SIZE
) -> schemas.WorkflowPage:
    page = service.workflows.list(caller.org_id, cursor=cursor, limit=limit)
    return schemas.WorkflowPage(
        items=[schemas.WorkflowOut.of(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{workflow_id}",
    operation_id="getWorkflow",
    responses={200: {"headers": ETAG_HEADER}, **problems(400, 401, 404)},
)
def get_workflow(
    caller: Viewer, workflow_id: WorkflowIdPath, service: ServiceDep, response: Response
) -> schemas.WorkflowOut:
    found = service.workflows.get(caller.org_id, domain.WorkflowId(workflow_id))
    return _with_etag(response, found)


@router.patch(
    "/{workflow_id}",
    operation_id="updateWorkflow",
    responses={200: {"headers": ETAG_HEADER}, **problems(400, 401, 403, 404, 409, 412, 422)},
)
def update_workflow(
    caller: Editor,
    workflow_id: WorkflowIdPath,
    body: schemas.WorkflowChanges,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.WorkflowOut:
    """Replace the name and/or the definition (`If-Match` optional: 412 if it is stale)."""
    workflow = service.workflows.update(
        caller.org_id,
        domain.WorkflowId(workflow_id),
        name=body.name,
        definition=None if body.definition is None else body.definition.to_json(),
        expected_version=etags.expected_version(if_match, required=False),
        author=caller.author,
    )
    return _with_etag(response, workflow)


@router.delete(
    "/{workflow_id}",
    operation_id="deleteWorkflow",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(400, 401, 403, 404, 409),
)
def delete_workflow(caller: Editor, workflow_id: WorkflowIdPath, service: ServiceDep) -> None:
    service.workflows.delete(caller.org_id, domain.WorkflowId(workflow_id))


@router.get(
    "/{workflow_id}/versions",
    operation_id="listWorkflowVersions",
    responses=problems(400, 401, 404),
)
def list_workflow_versions(
    caller: Viewer, workflow_id: WorkflowIdPath, service: ServiceDep
) -> list[schemas.WorkflowVersionOut]:
    """Every saved version, oldest first, with who saved it (secret values read `***`)."""
    versions = service.workflows.versions(caller.org_id, domain.WorkflowId(workflow_id))
    return [schemas.WorkflowVersionOut.of(version) for version in versions]


@router.get(
    "/{workflow_id}/versions/{version}",
    operation_id="getWorkflowVersion",
    responses=problems(400, 401, 404),
)
def get_workflow_version(
    caller: Viewer, workflow_id: WorkflowIdPath, version: VersionPath, service: ServiceDep
) -> schemas.WorkflowVersionOut:
    found = service.workflows.version(caller.org_id, domain.WorkflowId(workflow_id), version)
    return schemas.WorkflowVersionOut.of(found)


@router.post(
    "/{workflow_id}/rollback",
    operation_id="rollbackWorkflow",
    responses={200: {"headers": ETAG_HEADER}, **problems(400, 401, 403, 404, 409, 412, 422)},
)
def rollback_workflow(
    caller: Editor,
    workflow_id: WorkflowIdPath,
    body: schemas.WorkflowRollback,
    service: ServiceDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.WorkflowOut:
    """Write a new version whose definition equals an old one's (validated again; the name
    stays; `If-Match` optional: 412 if it is stale)."""
    workflow = service.workflows.rollback(
        caller.org_id,
        domain.WorkflowId(workflow_id),
        body.version,
        author=caller.author,
        expected_version=etags.expected_version(if_match, required=False),
    )
    return _with_etag(response, workflow)
