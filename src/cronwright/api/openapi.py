"""What each route declares about its responses, and the final touches to the OpenAPI document.

Every route lists every status it can return (`problems(...)`), so clients and the schema-driven
tests know the whole contract. FastAPI's own 422 (`HTTPValidationError`) never happens here:
malformed requests are 400 problems, so it is removed from the document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from cronwright.api.auth import required_role
from cronwright.api.errors import PROBLEM_JSON, SLUG_FOR, TYPE_BASE
from cronwright.api.etags import IF_MATCH_PATTERN
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
    429: "Too many failed authentications from this address or for this key; see `Retry-After`.",
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
    429: (None, "too many failed sign-in attempts; try again in 6 seconds"),
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
            _document_edge_answers(schema)
            _no_null_parameters(schema)
            _require_if_match(schema)  # before the links, which supply it
            _link_created_resources(schema)
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


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until an attempt may succeed.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _document_edge_answers(schema: dict[str, Any]) -> None:
    """Answers every operation of a kind can give, whatever its route says: 429 where a key is
    checked (failed attempts are limited) and 413 where a body is read (bodies are limited)."""
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            if "x-required-role" in operation and "429" not in responses:
                responses["429"] = _problem_response(429) | {"headers": RETRY_AFTER}
            if "requestBody" in operation and "413" not in responses:
                responses["413"] = _problem_response(413)


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": _example(status),
            }
        },
    }


def _no_null_parameters(schema: dict[str, Any]) -> None:
    """An optional query or header parameter is left out, never sent as null: publish its own
    type only (FastAPI writes ``anyOf: [type, null]``, and a client would send "null")."""
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                options = parameter["schema"].get("anyOf")
                if not options:
                    continue
                rest = [option for option in options if option.get("type") != "null"]
                if len(rest) == 1:
                    del parameter["schema"]["anyOf"]
                    parameter["schema"].update(rest[0])


def _require_if_match(schema: dict[str, Any]) -> None:
    """An operation that answers 428 without ``If-Match`` requires it. (The route takes it as
    optional so that its absence is that 428, not a generic 400.)"""
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            if "428" not in operation["responses"]:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                    parameter["required"] = True
                    parameter["schema"].pop("anyOf", None)
                    parameter["schema"].update(type="string", pattern=IF_MATCH_PATTERN)


_PARAMETER = re.compile(r"\{([a-z_]+)\}")


def _link_created_resources(schema: dict[str, Any]) -> None:
    """OpenAPI links from each operation that returns a resource to the operations on it, so
    clients (and the stateful tests) can follow a created schedule to its pause, versions...

    A resource's home is the item path (``/x/{id}``) of the collection that creates it with
    POST, or whose GET returns it; every operation under that path takes the returned ``id``,
    and any further path parameter a property of the same name (``version``)."""
    paths: dict[str, dict[str, Any]] = schema["paths"]
    homes: dict[str, str] = {}  # response schema name -> item path
    for path, path_item in paths.items():
        match = re.fullmatch(r"(.*)/\{[a-z_]+\}", path)
        get = path_item.get("get")
        ref = _response_ref(get, "200") if get else None
        if match and ref and match.group(1) in paths:
            homes.setdefault(ref, path)
    for path, path_item in paths.items():
        for status in ("200", "201"):
            for operation in path_item.values():
                ref = _response_ref(operation, status)
                home = homes.get(ref) if ref else None
                if home is None and status == "201" and f"{path}/{{" in " ".join(paths):
                    home = next(p for p in paths if p.startswith(f"{path}/{{"))
                    home = home[: home.index("}") + 1]
                properties = _properties(schema, ref) if ref else set()
                if home is None or "id" not in properties:
                    continue
                etag = "ETag" in operation["responses"][status].get("headers", {})
                links = _links_to(home, paths, properties, etag=etag)
                if links:
                    operation["responses"][status]["links"] = links


def _links_to(
    home: str, paths: dict[str, dict[str, Any]], properties: set[str], *, etag: bool
) -> dict[str, Any]:
    first = _PARAMETER.search(home)
    assert first is not None
    links: dict[str, Any] = {}
    for path, path_item in paths.items():
        if path != home and not path.startswith(home + "/"):
            continue
        names = _PARAMETER.findall(path)
        parameters = {first.group(1): "$response.body#/id"}
        rest = [name for name in names[1:] if name in properties]
        if len(rest) != len(names) - 1:
            continue  # a parameter the response cannot supply
        parameters.update({name: f"$response.body#/{name}" for name in rest})
        for target in path_item.values():
            given = dict(parameters)
            if etag and any(
                parameter["name"] == "if-match" and parameter.get("required")
                for parameter in target.get("parameters", [])
            ):
                given["header.if-match"] = "$response.header.ETag"  # change what was read
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": given,
            }
    return links


def _response_ref(operation: dict[str, Any], status: str) -> str | None:
    content = operation["responses"].get(status, {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _properties(schema: dict[str, Any], name: str) -> set[str]:
    return set(schema["components"]["schemas"][name].get("properties", {}))
