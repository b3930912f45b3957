"""Liveness, readiness and metrics: unauthenticated, outside ``/api/v1``, for orchestrators."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cronwright.api.deps import ContainerDep
from cronwright.api.errors import ApiProblem
from cronwright.api.metrics import Metrics
from cronwright.api.openapi import problems
from cronwright.api.schemas.common import Out

router = APIRouter(tags=["operations"])


class Health(Out):
    status: str = "ok"


@router.get("/healthz", operation_id="healthz")
def healthz() -> Health:
    """The process answers."""
    return Health()


@router.get("/readyz", operation_id="readyz", responses=problems(503))
def readyz(container: ContainerDep) -> Health:
    """The process answers, its database does too, and none of its loops (scheduler, reaper,
    alerter, heartbeats...) is failing or stalled."""
    try:
        container.check_database()
    except Exception:  # any failure to reach it means "not ready", whatever the driver raised
        raise ApiProblem(503, "the database cannot be reached") from None
    problems_found = [h.problem for h in container.loops() if h.problem is not None]
    if problems_found:
        raise ApiProblem(503, "; ".join(problems_found))
    return Health()


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format.",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(request: Request) -> Response:
    registry = cast(Metrics, request.app.state.metrics).registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
