"""Workflows: the list, one workflow's page (its step graph and definition, header values
masked) and the form that creates or edits a definition, with errors naming the path at fault
(``definition.steps[1].config.url``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import charts, diff, masking, run_list, session
from cronwright.web.forms import json_object
from cronwright.web.pages import (
    Dashboard,
    DashboardDep,
    FormDep,
    KeyDep,
    as_json,
    author,
    require,
)
from cronwright.web.params import PathId

router = APIRouter()
WORKFLOWS_PER_PAGE = 100
EXAMPLE = {
    "steps": [
        {"name": "call", "kind": "http", "config": {"url": "https://example.org/health"}},
    ]
}


@router.get("/workflows", response_class=HTMLResponse)
def workflows(
    request: Request, dashboard: DashboardDep, key: KeyDep, cursor: str | None = None
) -> Response:
    page = dashboard.service.workflows.list(key.org_id, cursor=cursor, limit=WORKFLOWS_PER_PAGE)
    return dashboard.page(request, "workflows.html", key, page=page)


def _form(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    *,
    workflow: domain.Workflow | None,
    values: dict[str, str],
    status_code: int = 200,
    form_errors: dict[str, str] | None = None,
    conflict: domain.Workflow | None = None,
) -> Response:
    context: dict[str, Any] = {
        "workflow": workflow,
        "values": values,
        "form_errors": form_errors or {},
        "conflict": conflict,
    }
    return dashboard.page(request, "workflow_form.html", key, status_code, **context)


@router.get("/workflows/new", response_class=HTMLResponse)
def new_form(request: Request, dashboard: DashboardDep, key: KeyDep) -> Response:
    require(key, domain.Role.EDITOR)
    values = {"name": "", "definition": as_json(EXAMPLE)}
    return _form(request, dashboard, key, workflow=None, values=values)


@router.post("/workflows/new", response_class=HTMLResponse)
def create(request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    values = {"name": form.get("name", ""), "definition": form.get("definition", "")}
    try:
        definition = json_object(values["definition"], "definition")
        created = dashboard.service.workflows.create(
            key.org_id, name=values["name"], definition=definition, author=author(key)
        )
    except errors.InvalidInput as exc:
        problems = {_form_field(exc.field): f"{exc.field}: {exc.message}"}
        return _form(
            request,
            dashboard,
            key,
            workflow=None,
            values=values,
            status_code=400,
            form_errors=problems,
        )
    return RedirectResponse(f"{session.base_path(request)}/workflows/{created.id}", status_code=303)


def _form_field(path: str) -> str:
    """The form field an error path belongs to: ``definition.steps[1]...`` is the definition."""
    return "name" if path == "name" else "definition"


def workflow_page(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    workflow_id: int,
    *,
    status_code: int = 200,
    stale_from: int | None = None,
) -> Response:
    """The workflow's page; ``stale_from``: a rollback read at that version was refused, because
    the workflow has moved on since (the page then says who saved what)."""
    svc = dashboard.service
    found = svc.workflows.get(key.org_id, domain.WorkflowId(workflow_id))
    users = svc.schedules.list(
        key.org_id, domain.ScheduleFilter(workflow_id=found.id), limit=domain.MAX_PAGE_SIZE
    )
    recent = svc.runs.list(key.org_id, domain.RunFilter(workflow_id=found.id), limit=20).items
    versions = diff.history(svc.workflows.versions(key.org_id, found.id))
    return dashboard.page(
        request,
        "workflow.html",
        key,
        status_code,
        workflow=found,
        graph=charts.step_graph(found.definition),
        definition=masking.masked(found.definition.to_json()),
        schedules=users.items,
        more_schedules=users.next_cursor is not None,
        runs=run_list.rows(run_list.Names(svc, key.org_id), recent),
        versions=versions,
        stale=None if stale_from is None else versions[0],
        stale_from=stale_from,
    )


@router.get("/workflows/{workflow_id}", response_class=HTMLResponse)
def workflow(
    request: Request, dashboard: DashboardDep, key: KeyDep, workflow_id: PathId
) -> Response:
    return workflow_page(request, dashboard, key, workflow_id)


@router.get("/workflows/{workflow_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, dashboard: DashboardDep, key: KeyDep, workflow_id: PathId
) -> Response:
    require(key, domain.Role.EDITOR)
    found = dashboard.service.workflows.get(key.org_id, domain.WorkflowId(workflow_id))
    values = {
        "name": found.name,
        "definition": as_json(masking.masked(found.definition.to_json())),
        "version": str(found.version),
    }
    return _form(request, dashboard, key, workflow=found, values=values)


@router.post("/workflows/{workflow_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep, workflow_id: PathId
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    svc = dashboard.service.workflows
    found = svc.get(key.org_id, domain.WorkflowId(workflow_id))
    values = {name: form.get(name, "") for name in ("name", "definition", "version")}
    try:
        typed = json_object(values["definition"], "definition")
        read_at = run_list.parse_id(values["version"], "version")
        svc.update(
            key.org_id,
            found.id,
            name=values["name"],
            definition=masking.unmasked(typed, found.definition.to_json()),
            expected_version=read_at,
            author=author(key),
        )
    except errors.StaleVersion:
        theirs = svc.get(key.org_id, found.id)
        values["version"] = str(theirs.version)  # saving again now means: replace theirs
        return _form(
            request,
            dashboard,
            key,
            workflow=found,
            values=values,
            status_code=409,
            conflict=theirs,
        )
    except errors.InvalidInput as exc:
        problems = {_form_field(exc.field): f"{exc.field}: {exc.message}"}
        return _form(
            request,
            dashboard,
            key,
            workflow=found,
            values=values,
            status_code=400,
            form_errors=problems,
        )
    return RedirectResponse(f"{session.base_path(request)}/workflows/{found.id}", status_code=303)
