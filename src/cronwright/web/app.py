"""``create_dashboard``: a FastAPI app of server-rendered pages, to mount under the API app.

Routes are synchronous like the rest of the service; each one signs the caller in from the
cookie and reads only that key's organization, so another organization's ids are 404 pages.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import Scope

from cronwright import clock as clock_module
from cronwright import domain, errors, service
from cronwright.service import templates as service_templates
from cronwright.service import throttle as throttle_module
from cronwright.service import triggers as triggers_module
from cronwright.store import contracts
from cronwright.web import pages, routes, session
from cronwright.web.forms import MAX_FORM_BYTES
from cronwright.web.limits import BodyLimitMiddleware
from cronwright.web.routing import allowed_methods


def create_dashboard(
    svc: service.Service,
    clock: clock_module.Clock,
    *,
    triggers: triggers_module.Triggers | None = None,
    throttle: throttle_module.FailedAuthThrottle | None = None,
    queue: contracts.RunQueue | None = None,
    alerts: pages.Alerts | None = None,
    templates: service_templates.Templates | None = None,
    loops: pages.Loops | None = None,
) -> FastAPI:
    """The dashboard over ``svc``; ``triggers`` enables "run now", retry and backfill, ``queue``
    the cancel button and the workers on the overview, ``alerts`` the alert channel pages,
    ``templates`` the templates library, ``loops`` (this process's loop health) its loops on the
    overview; ``throttle`` counts failed sign-ins (share the API's, so both draw on one
    allowance)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = pages.Dashboard(
        svc, clock, triggers, queue, alerts, catalog=templates, loops=loops
    )
    app.state.throttle = throttle or throttle_module.FailedAuthThrottle(clock)
    app.include_router(routes.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_FORM_BYTES, refuse=_too_large)
    app.add_middleware(BaseHTTPMiddleware, dispatch=pages.security_headers)
    install_error_pages(app)
    return app


def install_error_pages(app: FastAPI) -> None:
    """Every error is a page of the dashboard, with its security headers; none is a 500 for bad
    input, none is the API's JSON."""

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

    def forged(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, session.ForgedRequest)
        return error_page(request, 403, "Not allowed", f"Refused: {exc.reason}.")

    def too_many(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, throttle_module.TooManyAttempts)
        page = plain_error_page(request, 429, "Too many attempts", f"{exc}.")
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return page

    def malformed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return not_found(request, exc)  # /schedules/abc names no page, like /nowhere
        where = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:])}: {error.get('msg', '')}"
            for error in exc.errors()
        )
        return error_page(request, 400, "Bad request", where)

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return not_found(request, exc)
        title = HTTPStatus(exc.status_code).phrase
        page = plain_error_page(request, exc.status_code, title, title + ".")
        page.headers.update(exc.headers or {})
        if exc.status_code == 405:
            page.headers["Allow"] = ", ".join(allowed_methods(request))
        return page

    def internal(request: Request, exc: Exception) -> Response:
        # The traceback goes to the server log; the page says nothing more, and reads nothing.
        return plain_error_page(request, 500, "Internal error", "Something went wrong on our side.")

    app.add_exception_handler(session.SignInRequired, signin)
    app.add_exception_handler(errors.NotFound, not_found)
    app.add_exception_handler(errors.InvalidInput, invalid)
    app.add_exception_handler(errors.PermissionDenied, denied)
    app.add_exception_handler(errors.Conflict, conflict)
    app.add_exception_handler(session.ForgedRequest, forged)
    app.add_exception_handler(throttle_module.TooManyAttempts, too_many)
    app.add_exception_handler(RequestValidationError, malformed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """An error page that shows who is signed in, like every other page."""
    dashboard = pages.get_dashboard(request)
    try:
        key: domain.ApiKey | None = session.signed_in(request, dashboard.service.organizations)
    except (session.SignInRequired, throttle_module.TooManyAttempts):
        key = None
    page = dashboard.page(request, "error.html", key, status, title=title, detail=detail)
    page.headers.update(pages.HEADERS)  # also when answered outside the headers middleware
    return page


def plain_error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """An error page that reads nothing (no database, no body): for refusals and failures."""
    dashboard = pages.get_dashboard(request)
    page = dashboard.templates.TemplateResponse(
        request,
        "error.html",
        {
            "base": session.base_path(request),
            "key": None,
            "organization": None,
            "can_edit": False,
            "is_admin": False,
            "has_templates": False,
            "csrf": "",
            "live": False,
            "title": title,
            "detail": detail,
        },
        status_code=status,
    )
    page.headers.update(pages.HEADERS)
    return page


def _too_large(scope: Scope, max_bytes: int) -> Response:
    detail = f"The form is too large (at most {max_bytes} bytes)."
    return plain_error_page(Request(scope), 413, "Too large", detail)


def mount_dashboard(
    app: FastAPI,
    svc: service.Service,
    clock: clock_module.Clock,
    *,
    triggers: triggers_module.Triggers | None = None,
    throttle: throttle_module.FailedAuthThrottle | None = None,
    queue: contracts.RunQueue | None = None,
    alerts: pages.Alerts | None = None,
    templates: service_templates.Templates | None = None,
    loops: pages.Loops | None = None,
    path: str = "/ui",
) -> None:
    """Serve the dashboard at ``path`` of ``app``, and send visitors of ``/`` there."""
    app.mount(
        path,
        create_dashboard(
            svc,
            clock,
            triggers=triggers,
            throttle=throttle,
            queue=queue,
            alerts=alerts,
            templates=templates,
            loops=loops,
        ),
    )

    def home() -> RedirectResponse:
        return RedirectResponse(f"{path}/", status_code=307)

    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
