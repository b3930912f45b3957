"""Runs: the filtered list, one run's page, and the retry and cancel buttons."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import charts, run_list, session
from cronwright.web.pages import RECENT_RUNS, DashboardDep, FormDep, KeyDep, author, require
from cronwright.web.params import PathId

router = APIRouter()


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{session.base_path(request)}{path}", status_code=303)


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    schedule: str = "",
    workflow: str = "",
    state: str = "",
    trigger: str = "",
    since: str = "",
    until: str = "",
    cursor: str | None = None,
    back: str = "",
) -> Response:
    query = run_list.RunQuery(
        schedule=schedule.strip(),
        workflow=workflow.strip(),
        state=state,
        trigger=trigger,
        since=since.strip(),
        until=until.strip(),
    )
    svc = dashboard.service
    page = svc.runs.list(key.org_id, query.to_filter(), cursor=cursor or None, limit=RECENT_RUNS)
    names = run_list.Names(svc, key.org_id)
    workflows = svc.workflows.list(key.org_id, limit=domain.MAX_PAGE_SIZE).items
    return dashboard.page(
        request,
        "runs.html",
        key,
        rows=run_list.rows(names, page.items),
        query=query,
        paging=run_list.paging(query, cursor, [c for c in back.split(",") if c], page.next_cursor),
        states=[s.value for s in domain.RunState],
        triggers=[t.value for t in domain.Trigger],
        workflows=workflows,
        can_cancel=dashboard.queue is not None,
        can_retry=dashboard.triggers is not None,
        live=True,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, dashboard: DashboardDep, key: KeyDep, run_id: PathId) -> Response:
    svc, rid = dashboard.service, domain.RunId(run_id)
    found = svc.runs.get(key.org_id, rid)
    steps = svc.runs.steps(key.org_id, rid)
    names = run_list.Names(svc, key.org_id)
    (row,) = run_list.rows(names, [found])
    row = dataclasses.replace(row, parent_id=run_list.find_parent(svc, key.org_id, found))
    return dashboard.page(
        request,
        "run.html",
        key,
        run=found,
        row=row,
        steps=steps,
        gantt=charts.gantt(steps, now=dashboard.clock.now()),
        can_cancel=dashboard.queue is not None,
        can_retry=dashboard.triggers is not None,
        live=found.state in run_list.CANCELLABLE,
    )


@router.post("/runs/{run_id}/{action}")
def act(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    form: FormDep,
    run_id: PathId,
    action: str,
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    rid = domain.RunId(run_id)
    if action == "retry" and dashboard.triggers is not None:
        retried = dashboard.triggers.retry_run(key.org_id, rid)
        return _redirect(request, f"/runs/{retried.id}")
    if action == "cancel" and dashboard.queue is not None:
        dashboard.queue.cancel(
            key.org_id, rid, now=dashboard.clock.now(), reason=f"cancelled by {author(key)}"
        )
        return _redirect(request, f"/runs/{run_id}")
    raise errors.RunNotFound(rid)  # an unknown action is no page at all
