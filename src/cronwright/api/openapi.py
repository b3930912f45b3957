"""What each route declares about its responses, and the final touches to the OpenAPI document.

Every route lists every status it can return (`problems(...)`), so clients and the schema-driven
tests know the whole contract. FastAPI's own 422 (`HTTPValidationError`) never happens here:
malformed requests are 400 problems, so it is removed from the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from cronwright.api.auth import required_role
from cronwright.api.errors import PROBLEM_JSON, SLUG_FOR, TYPE_BASE
from cronwright.api.schemas.common import Problem

DESCRIPTIONS = {
    400: "Malformed request: bad JSON, a wrong type, an unknown field or a value out of bounds.",
    401: "Missing, unknown or revoked API key.",
    403: "The API key's role is too low for this request.",
    404: "No such resource in the caller's organization.",
    409: "Conflicts with the current state (a duplicate, a quota, a resource in use).",
    412: "`If-Match` names a version that is no longer current.",
    413: "The request body is too large.",
    422: "Well-formed but breaks a rule (bad expression, unknown time zone, ...).",
    428: "`If-Match` is required to change this resource.",
    501: "Not implemented by this server yet.",
    503: "The database cannot be reached.",
}

EXAMPLES = {
    400: ("name", "string should have at most 200 characters"),
    401: ("Authorization", "missing, unknown or revoked API key"),
    403: (None, "this needs the editor role; the API key has the viewer role"),
    404: (None, "no schedule with id 42"),
    409: (
        None,
        "schedule 7 already runs this workflow with the same expression, time zone and input",
    ),
    412: ("If-Match", "the current version is 4"),
    413: (None, "the request body must be at most 1048576 bytes"),
    422: ("cron", "minute: 60 is out of range 0-59 (column 1)"),
    428: ("If-Match", "send the ETag of the version you are changing"),
    501: (None, "sending a test alert is not implemented yet"),
    503: (None, "the database cannot be reached"),
}


def _example(status: int) -> dict[str, Any]:
    field, message = EXAMPLES[status]
    return {
        "type": TYPE_BASE + SLUG_FOR[status],
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message if field is None else f"{field}: {message}",
        "instance": "/api/v1/schedules/42",
        "errors": [] if field is None else [{"field": field, "message": message}],
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries for these problem statuses."""
    return {
        status: {
            "model": Problem,
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"example": _example(status)}},
        }
        for status in statuses
    }


def install_openapi(app: FastAPI, routes: Sequence[APIRoute]) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            _drop_fastapi_validation_error(schema)
            _mark_roles(routes, schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mark_roles(routes: Sequence[APIRoute], schema: dict[str, Any]) -> None:
    """``x-required-role`` on every authenticated operation: the least role that may call it."""
    for route in routes:
        role = required_role(route)
        if role is None:
            continue
        for method in route.methods or ():
            schema["paths"][route.path_format][method.lower()]["x-required-role"] = role.value


def _drop_fastapi_validation_error(schema: dict[str, Any]) -> None:
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            content = responses.get("422", {}).get("content", {})
            if "HTTPValidationError" in str(content.get("application/json", {})):
                del responses["422"]
            for response in responses.values():
                # Problems are only ever problem+json; FastAPI files the model's schema under
                # application/json, so move it.
                media = response.get("content", {})
                if PROBLEM_JSON in media and "application/json" in media:
                    media[PROBLEM_JSON].setdefault(
                        "schema", media.pop("application/json")["schema"]
                    )
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
