"""``create_dashboard``: a FastAPI app of server-rendered pages, to mount under the API app.

Routes are synchronous like the rest of the service; each one signs the caller in from the
cookie and reads only that key's organization, so another organization's ids are 404 pages.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.middleware.base import BaseHTTPMiddleware

from cronwright import clock as clock_module
from cronwright import domain, errors, service
from cronwright.service import triggers as triggers_module
from cronwright.store import queue as store_queue
from cronwright.web import pages, routes, session


def create_dashboard(
    svc: service.Service,
    clock: clock_module.Clock,
    *,
    triggers: triggers_module.Triggers | None = None,
    queue: store_queue.RunQueue | None = None,
    alerts: pages.Alerts | None = None,
) -> FastAPI:
    """The dashboard over ``svc``; ``triggers`` enables "run now", retry and backfill, ``queue``
    the cancel button, ``alerts`` the alert channel pages."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = pages.Dashboard(svc, clock, triggers, queue, alerts)
    app.include_router(routes.router)
    app.add_middleware(BaseHTTPMiddleware, dispatch=pages.security_headers)
    install_error_pages(app)
    return app


def install_error_pages(app: FastAPI) -> None:
    def signin(request: Request, exc: Exception) -> Response:
        return RedirectResponse(f"{session.base_path(request)}/signin", status_code=303)

    def not_found(request: Request, exc: Exception) -> Response:
        return error_page(request, 404, "Not found", "There is no such page in this organization.")

    def invalid(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, "Bad request", str(exc))

    def denied(request: Request, exc: Exception) -> Response:
        return error_page(request, 403, "Not allowed", str(exc))

    def conflict(request: Request, exc: Exception) -> Response:
        return error_page(request, 409, "Conflict", str(exc))

    app.add_exception_handler(session.SignInRequired, signin)
    app.add_exception_handler(errors.NotFound, not_found)
    app.add_exception_handler(errors.InvalidInput, invalid)
    app.add_exception_handler(errors.PermissionDenied, denied)
    app.add_exception_handler(errors.Conflict, conflict)
    app.add_exception_handler(404, not_found)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    dashboard = pages.get_dashboard(request)
    try:
        key: domain.ApiKey | None = session.signed_in(request, dashboard.service.organizations)
    except session.SignInRequired:
        key = None
    return dashboard.page(request, "error.html", key, status, title=title, detail=detail)


def mount_dashboard(
    app: FastAPI,
    svc: service.Service,
    clock: clock_module.Clock,
    *,
    triggers: triggers_module.Triggers | None = None,
    queue: store_queue.RunQueue | None = None,
    alerts: pages.Alerts | None = None,
    path: str = "/ui",
) -> None:
    """Serve the dashboard at ``path`` of ``app``, and send visitors of ``/`` there."""
    app.mount(path, create_dashboard(svc, clock, triggers=triggers, queue=queue, alerts=alerts))

    def home() -> RedirectResponse:
        return RedirectResponse(f"{path}/", status_code=307)

    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
