"""``create_app(container)``: the FastAPI application over a container of services.

Resources live under ``/api/v1``; ``/healthz``, ``/readyz`` and ``/metrics`` sit at the root for
orchestrators. Nothing here is a module global: two apps in one process are independent.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

import cronwright
from cronwright.api import params
from cronwright.api.container import Container
from cronwright.api.docs_page import install_docs_page
from cronwright.api.errors import install_error_handlers
from cronwright.api.gate import AuthenticateFirst
from cronwright.api.limits import MAX_BODY_BYTES, too_large
from cronwright.api.metrics import Metrics, MetricsMiddleware
from cronwright.api.openapi import install_openapi
from cronwright.api.paths import API_PREFIX
from cronwright.api.routes import (
    alert_channels,
    api_keys,
    by_name,
    cron,
    health,
    organization,
    runs,
    schedule_runs,
    schedules,
    templates,
    workflows,
)
from cronwright.web.limits import BodyLimitMiddleware

ROUTERS = (
    health.router,
    schedules.router,
    schedule_runs.router,
    cron.router,
    workflows.router,
    runs.router,
    alert_channels.router,
    by_name.router,
    api_keys.router,
    organization.router,
    templates.router,
)

DESCRIPTION = """\
Durable, exactly-once cron scheduling of workflows for many organizations.

Authenticate with `Authorization: Bearer <API key>`. A key belongs to one organization and has a
role: `viewer` reads, `editor` also changes schedules, workflows and runs, `admin` also manages
API keys and alert channels. Quotas are read-only: the operator sets them. Errors are
`application/problem+json` (RFC 9457).
"""


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="cronwright",
        version=cronwright.__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by install_docs_page, without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.container = container
    app.state.metrics = metrics = Metrics()
    for router in ROUTERS:
        guards = [] if router is health.router else [Depends(params.reject_unknown_query)]
        app.include_router(router, dependencies=guards)
    install_error_handlers(app)
    install_openapi(app, route_table())
    install_docs_page(app, docs_url=f"{API_PREFIX}/docs", openapi_url=f"{API_PREFIX}/openapi.json")
    # Outermost last: metrics see every answer; the key is checked before the body is read.
    # Every route that reads a body is under the prefix; the dashboard has a limit of its own.
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES, refuse=too_large, under=API_PREFIX
    )
    app.add_middleware(AuthenticateFirst, container=container, routes=route_table())
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def route_table() -> list[APIRoute]:
    """Every route the app serves (not FastAPI's own docs pages), in declaration order."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
