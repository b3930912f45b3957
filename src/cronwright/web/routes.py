"""The dashboard's router: sign-in, sign-out, the overview and the static files, plus the routers of
runs, schedules (forms before pages, so "new" is not an id), workflows and admin pages."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import (
    admin_routes,
    charts,
    health,
    run_list,
    run_routes,
    schedule_form_routes,
    schedule_routes,
    session,
    template_routes,
    views,
    workflow_routes,
    workflow_versions,
)
from cronwright.web.pages import (
    Dashboard,
    DashboardDep,
    FormDep,
    KeyDep,
    css,
    script,
)

router = APIRouter()
router.add_api_route("/style.css", css, methods=["GET"], include_in_schema=False)
router.add_api_route("/live.js", script, methods=["GET"], include_in_schema=False)
router.include_router(run_routes.router)
router.include_router(schedule_form_routes.router)  # before /schedules/{id}: "new"
router.include_router(schedule_routes.router)
router.include_router(workflow_routes.router)
router.include_router(workflow_versions.router)
router.include_router(admin_routes.router)
router.include_router(template_routes.router)


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
    running = health.execution(
        dashboard.queue,
        dashboard.loops() if dashboard.loops is not None else (),
        run_list.Names(dashboard.service, key.org_id),
        key.org_id,
        now=now,
        detailed=key.role is domain.Role.ADMIN,
    )
    return dashboard.page(
        request,
        "overview.html",
        key,
        summary=summary,
        execution=running,
        stale_after=health.STALE_AFTER,
        now=now,
        hourly_chart=charts.hourly(summary.hourly),
        chart_states=[state.value for state in charts.STACK_ORDER],
        live=True,
    )
