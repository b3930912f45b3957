"""A workflow's versions: who saved each and what it changed, two versions side by side, and
rollback for editors. A rollback carries the version its page was read at, as the API's
``If-Match`` does: if someone saved the workflow meanwhile, nothing is written and the page says
what they saved."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import diff, run_list, session, workflow_routes
from cronwright.web.pages import DashboardDep, FormDep, KeyDep, author, require
from cronwright.web.params import PathId

router = APIRouter()


@router.get("/workflows/{workflow_id}/diff", response_class=HTMLResponse)
def compare(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    workflow_id: PathId,
    old: int,
    new: int,
) -> Response:
    """Two versions side by side: the name and every step, the changed ones marked."""
    svc, wid = dashboard.service.workflows, domain.WorkflowId(workflow_id)
    found = svc.get(key.org_id, wid)
    before, after = svc.version(key.org_id, wid, old), svc.version(key.org_id, wid, new)
    fields = diff.pairs(diff.workflow_fields(before), diff.workflow_fields(after))
    return dashboard.page(
        request,
        "workflow_diff.html",
        key,
        workflow=found,
        before=before,
        after=after,
        fields=fields,
        changed=len(diff.changed(fields)),
    )


@router.post("/workflows/{workflow_id}/rollback")
def rollback(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    form: FormDep,
    workflow_id: PathId,
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    wid = domain.WorkflowId(workflow_id)
    version = run_list.parse_id(form.get("version", ""), "version")
    if version is None:
        raise errors.InvalidInput(field="version", message="is required")
    read_at = run_list.parse_id(form.get("expected", ""), "expected")
    try:
        dashboard.service.workflows.rollback(
            key.org_id, wid, version, author=author(key), expected_version=read_at
        )
    except errors.StaleVersion:
        return workflow_routes.workflow_page(
            request, dashboard, key, workflow_id, status_code=409, stale_from=read_at
        )
    return RedirectResponse(f"{session.base_path(request)}/workflows/{wid}", status_code=303)
