"""The dashboard's pages and its few forms (sign-in, sign-out, pause, resume, run now)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import run_routes, session, views
from cronwright.web.pages import (
    RANK,
    SCHEDULES_PER_PAGE,
    DashboardDep,
    FormDep,
    KeyDep,
    css,
)

router = APIRouter()
router.add_api_route("/style.css", css, methods=["GET"], include_in_schema=False)
router.include_router(run_routes.router)


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{session.base_path(request)}{path}", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, dashboard: DashboardDep) -> Response:
    return dashboard.page(request, "signin.html", None, error=None)


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, dashboard: DashboardDep, form: FormDep) -> Response:
    token = form.get("api_key", "").strip()
    try:
        dashboard.service.organizations.authenticate(token)
    except errors.AuthenticationFailed:
        error = "That API key is not valid (unknown, revoked or mistyped)."
        return dashboard.page(request, "signin.html", None, 401, error=error)
    response = _redirect(request, "/")
    session.remember(request, response, token)
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    response = _redirect(request, "/signin")
    session.forget(request, response)
    return response


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, dashboard: DashboardDep, key: KeyDep) -> Response:
    now = dashboard.clock.now()
    summary = views.overview(dashboard.service, key.org_id, now)
    return dashboard.page(request, "overview.html", key, summary=summary, now=now)


@router.get("/schedules", response_class=HTMLResponse)
def schedules(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    name: str = "",
    cursor: str | None = None,
) -> Response:
    where = domain.ScheduleFilter(name_contains=name.strip() or None)
    page = dashboard.service.schedules.list(
        key.org_id, where, cursor=cursor, limit=SCHEDULES_PER_PAGE
    )
    rows = [views.schedule_row(schedule) for schedule in page.items]
    return dashboard.page(
        request, "schedules.html", key, rows=rows, search=name, next_cursor=page.next_cursor
    )


@router.get("/schedules/{schedule_id}", response_class=HTMLResponse)
def schedule(request: Request, dashboard: DashboardDep, key: KeyDep, schedule_id: int) -> Response:
    svc, sid = dashboard.service, domain.ScheduleId(schedule_id)
    found = svc.schedules.get(key.org_id, sid)
    return dashboard.page(
        request,
        "schedule.html",
        key,
        row=views.schedule_row(found),
        preview=svc.schedules.preview(key.org_id, sid, count=10),
        runs=svc.runs.list_for_schedule(key.org_id, sid, limit=20).items,
        versions=list(reversed(svc.schedules.versions(key.org_id, sid))),
        can_trigger=dashboard.triggers is not None,
    )


@router.post("/schedules/{schedule_id}/{action}")
def act(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    form: FormDep,
    schedule_id: int,
    action: str,
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    if RANK[key.role] < RANK[domain.Role.EDITOR]:
        raise errors.PermissionDenied(required="editor", role=key.role.value)
    sid, author = domain.ScheduleId(schedule_id), f"api-key:{key.prefix}"
    schedules = dashboard.service.schedules
    if action == "pause":
        schedules.pause(key.org_id, sid, author=author)
    elif action == "resume":
        schedules.resume(key.org_id, sid, author=author)
    elif action == "trigger" and dashboard.triggers is not None:
        run = dashboard.triggers.trigger_now(key.org_id, sid)
        return _redirect(request, f"/runs/{run.id}")
    else:
        raise errors.ScheduleNotFound(sid)  # an unknown action is no page at all
    return _redirect(request, f"/schedules/{schedule_id}")
