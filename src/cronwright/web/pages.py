"""Rendering: the Jinja environment (autoescaped), filters, and the per-app collaborators."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, cast

import jinja2
from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import RequestResponseEndpoint

from cronwright import clock as clock_module
from cronwright import domain, errors, service
from cronwright.engine import alerts, loop
from cronwright.service import alert_channels
from cronwright.service import templates as service_templates
from cronwright.service import triggers as triggers_module
from cronwright.store import contracts
from cronwright.web import session
from cronwright.web.forms import form_fields

HERE = Path(__file__).parent
RANK = {domain.Role.VIEWER: 0, domain.Role.EDITOR: 1, domain.Role.ADMIN: 2}
RECENT_RUNS = 100
Loops = Callable[[], Sequence[loop.LoopHealth]]
SCHEDULES_PER_PAGE = 100
HEADERS = {
    # Scripts and styles from our own files only (no inline code), requests and forms only to
    # us, never framed.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def utc(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(at: datetime | None) -> str:
    return "—" if at is None else at.strftime("%Y-%m-%d %H:%M:%S %Z")


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def duration(value: timedelta | None) -> str:
    """``1h 02m``, ``3m 05s``, ``4.2s``, ``120ms``: short enough for a table cell."""
    if value is None:
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def can_edit(key: domain.ApiKey | None) -> bool:
    return key is not None and RANK[key.role] >= RANK[domain.Role.EDITOR]


def require(key: domain.ApiKey, role: domain.Role) -> None:
    """``PermissionDenied`` (a 403 page) unless ``key`` has at least ``role``."""
    if RANK[key.role] < RANK[role]:
        raise errors.PermissionDenied(required=role.value, role=key.role.value)


def author(key: domain.ApiKey) -> str:
    return f"api-key:{key.prefix}"


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is escaped, names and run output included
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(utc=utc, local=local, as_json=as_json, duration=duration)
    return Jinja2Templates(env=env)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alerts:
    """What the alert channel pages need: the channels, and the alerter that test-sends and
    keeps the delivery log."""

    channels: alert_channels.AlertChannels
    alerter: alerts.Alerter


class Dashboard:
    """The app's collaborators, reached from routes through ``app.state``."""

    def __init__(
        self,
        svc: service.Service,
        clock: clock_module.Clock,
        triggers: triggers_module.Triggers | None,
        queue: contracts.RunQueue | None = None,
        alerts: Alerts | None = None,
        catalog: service_templates.Templates | None = None,
        loops: Loops | None = None,
    ) -> None:
        self.service = svc
        self.clock = clock
        self.triggers = triggers
        self.queue = queue  # enables cancelling runs, and the workers on the overview
        self.alerts = alerts  # enables the alert channel pages
        self.catalog = catalog  # enables the templates library
        self.loops = loops  # this process's loops, for the overview
        self.templates = templates()

    def page(
        self,
        request: Request,
        name: str,
        key: domain.ApiKey | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        organization = self.service.organizations.get(key.org_id) if key else None
        return self.templates.TemplateResponse(
            request,
            name,
            {
                "base": session.base_path(request),
                "key": key,
                "organization": organization,
                "can_edit": can_edit(key),
                "is_admin": key is not None and key.role is domain.Role.ADMIN,
                "has_templates": self.catalog is not None,
                "csrf": session.csrf_token(request),
                "live": False,  # pages that change say so, and refresh themselves
                **context,
            },
            status_code=status_code,
        )


def get_dashboard(request: Request) -> Dashboard:
    return cast(Dashboard, request.app.state.dashboard)


def get_key(
    request: Request, dashboard: Annotated[Dashboard, Depends(get_dashboard)]
) -> domain.ApiKey:
    return session.signed_in(request, dashboard.service.organizations)


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]
KeyDep = Annotated[domain.ApiKey, Depends(get_key)]
FormDep = Annotated[dict[str, str], Depends(form_fields)]


async def security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    response.headers.update(HEADERS)
    return response


STYLE = (HERE / "style.css").read_text()


def css() -> PlainTextResponse:
    return PlainTextResponse(STYLE, media_type="text/css")


SCRIPT = (HERE / "live.js").read_text()


def script() -> PlainTextResponse:
    return PlainTextResponse(SCRIPT, media_type="text/javascript")
