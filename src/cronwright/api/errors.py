"""Every error leaves as ``application/problem+json`` (RFC 9457), mapped here and only here.

Domain errors keep their meaning: a missing (or another organization's) row is 404, a rule broken
by a well-formed request is 422, a clash with the current state is 409, a stale ``If-Match`` 412.
A body or parameter that does not fit the schema at all (bad JSON, wrong type, unknown field, too
long) is 400. Every problem says which field is wrong and why, in ``errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cronwright import errors
from cronwright.service.throttle import TooManyAttempts
from cronwright.web.routing import allowed_methods

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:cronwright:problem:"


class ApiProblem(Exception):  # noqa: N818 - it is a problem document, not an error kind
    """A condition only HTTP knows about (a missing ``If-Match``, a body too large...)."""

    def __init__(self, status: int, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field


# Looked up along the exception's MRO, so subclasses (StaleVersion < Conflict) can differ.
STATUS_FOR: dict[type[errors.CronwrightError], int] = {
    errors.AuthenticationFailed: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.QuotaExceeded: 409,
    errors.PreconditionFailed: 412,
    errors.InvalidInput: 422,
    errors.CronSyntaxError: 422,
    TooManyAttempts: 429,
}

SLUG_FOR: dict[int, str] = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "stale-version",
    413: "too-large",
    422: "invalid-input",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    501: "not-implemented",
    503: "unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    field_errors: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + SLUG_FOR.get(status, str(status)),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": [{"field": field, "message": message} for field, message in field_errors],
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.CronwrightError)
    status = next(STATUS_FOR[cls] for cls in type(exc).__mro__ if cls in STATUS_FOR)
    field_errors: list[tuple[str, str]] = []
    extra: dict[str, Any] = {}
    headers = None
    if isinstance(exc, errors.InvalidInput):
        field_errors.append((exc.field, exc.message))
    elif isinstance(exc, errors.CronSyntaxError):
        field_errors.append(("cron", str(exc)))
    elif isinstance(exc, errors.ScheduleConflict):
        extra["existing_id"] = exc.existing_id
        if exc.same_name is not None:
            field_errors.append(("name", f"schedule {exc.same_name} has this name"))
            extra["same_name_id"] = exc.same_name
        if exc.same_schedule is not None:
            message = f"schedule {exc.same_schedule} has the same workflow, time zone and input"
            field_errors.append(("cron", message))
            extra["same_schedule_id"] = exc.same_schedule
    elif isinstance(exc, errors.NameTaken):
        field_errors.append(("name", f"{exc.kind} {exc.existing_id} has this name"))
        extra["existing_id"] = exc.existing_id
    elif isinstance(exc, errors.StaleVersion):
        field_errors.append(("If-Match", f"the current version is {exc.actual}"))
        extra["current_version"] = exc.actual
    elif isinstance(exc, errors.PreconditionFailed):
        field_errors.append((exc.condition, str(exc)))
    elif isinstance(exc, errors.QuotaExceeded):
        extra.update(quota=exc.quota, limit=exc.limit)
    elif isinstance(exc, errors.AuthenticationFailed):
        field_errors.append(("Authorization", "missing, unknown or revoked API key"))
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return problem(
        status,
        str(exc),
        instance=request.url.path,
        field_errors=field_errors,
        headers=headers,
        extra=extra,
    )


def _api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    field_errors = [(exc.field, exc.detail)] if exc.field else []
    return problem(exc.status, exc.detail, instance=request.url.path, field_errors=field_errors)


def describe_validation_error(error: dict[str, Any]) -> tuple[str, str]:
    """``(field, message)`` for one pydantic error: the location without its ``body``/``query``
    root, and a message that reads after the field name."""
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[1:] if len(loc) > 1 else loc
    field = ".".join(where) or "body"
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return field, "is not a known field"
    if kind == "missing":
        return field, "is required"
    if kind == "json_invalid":
        return "body", f"is not valid JSON: {error.get('ctx', {}).get('error', 'decode error')}"
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    return field, message[:1].lower() + message[1:]


def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    field_errors = [describe_validation_error(dict(error)) for error in exc.errors()]
    detail = "; ".join(f"{field}: {message}" for field, message in field_errors)
    return problem(400, detail, instance=request.url.path, field_errors=field_errors)


def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(exc.status_code, detail, instance=request.url.path, headers=headers)


def _internal_problem(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log (uvicorn re-raises); the client learns nothing more.
    return problem(500, "internal error", instance=request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    for exc_type in STATUS_FOR:
        app.add_exception_handler(exc_type, domain_problem)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(Exception, _internal_problem)
