"""The dashboard's pages and its few forms (sign-in, sign-out, pause, resume, run now)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import session, views
from cronwright.web.pages import (
    RANK,
    RECENT_RUNS,
    SCHEDULES_PER_PAGE,
    Dashboard,
    DashboardDep,
    FormDep,
    KeyDep,
    css,
)
from cronwright.web.params import PathId

router = APIRouter()
router.add_api_route("/style.css", css, methods=["GET"], include_in_schema=False)


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{session.base_path(request)}{path}", status_code=303)


def _signin_page(
    request: Request, dashboard: Dashboard, status: int = 200, error: str | None = None
) -> Response:
    nonce = session.signin_nonce(request)
    csrf = session.signin_token(nonce)
    page = dashboard.page(request, "signin.html", None, status, error=error, csrf=csrf)
    if session.SIGNIN_COOKIE not in request.cookies:
        session.remember_signin_nonce(request, page, nonce)
    return page


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, dashboard: DashboardDep) -> Response:
    return _signin_page(request, dashboard)


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, dashboard: DashboardDep, form: FormDep) -> Response:
    session.check_signin(request, form.get("csrf"))
    token = form.get("api_key", "").strip()
    try:
        session.authenticate(request, dashboard.service.organizations, token)
    except errors.AuthenticationFailed:
        error = "That API key is not valid (unknown, revoked or mistyped)."
        return _signin_page(request, dashboard, 401, error)
    response = _redirect(request, "/")
    session.remember(request, response, token)
    return response


@router.post("/signout")
def signout(request: Request, form: FormDep) -> Response:
    session.check_csrf(request, form.get("csrf"))
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
def schedule(
    request: Request, dashboard: DashboardDep, key: KeyDep, schedule_id: PathId
) -> Response:
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
    schedule_id: PathId,
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


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    state: str = "",
    cursor: str | None = None,
) -> Response:
    try:
        states = frozenset({domain.RunState(state)}) if state else None
    except ValueError:
        raise errors.InvalidInput(field="state", message=f"unknown run state {state!r}") from None
    page = dashboard.service.runs.list(
        key.org_id, domain.RunFilter(states=states), cursor=cursor, limit=RECENT_RUNS
    )
    return dashboard.page(
        request, "runs.html", key, page=page, state=state, states=[s.value for s in domain.RunState]
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, dashboard: DashboardDep, key: KeyDep, run_id: PathId) -> Response:
    rid = domain.RunId(run_id)
    found = dashboard.service.runs.get(key.org_id, rid)
    steps = dashboard.service.runs.steps(key.org_id, rid)
    return dashboard.page(request, "run.html", key, run=found, steps=steps)
