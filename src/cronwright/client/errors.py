"""The API's problem documents (RFC 9457) as exceptions, one class per status that callers
handle differently; every one keeps the document's fields."""

from __future__ import annotations

from typing import Any

from cronwright.errors import CronwrightError


class ApiError(CronwrightError):
    """An answer of 400 or above. ``errors`` lists ``{"field", "message"}`` for each field at
    fault; members a problem adds (e.g. ``existing_id`` of a 409) are in ``extra``."""

    def __init__(
        self,
        status: int,
        *,
        title: str,
        detail: str,
        type_: str = "about:blank",
        instance: str = "",
        errors: list[dict[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.instance = instance
        self.errors = errors or []
        self.extra = extra or {}
        self.retry_after = retry_after

    def field_messages(self) -> dict[str, str]:
        """``{field: message}`` for the fields the server named."""
        return {error["field"]: error["message"] for error in self.errors}


class BadRequest(ApiError):
    """400: the request does not fit the schema (bad JSON, unknown field, wrong type)."""


class Unauthenticated(ApiError):
    """401: no key, an unknown key or a revoked one."""


class Forbidden(ApiError):
    """403: the key's role may not do this."""


class NotFound(ApiError, LookupError):
    """404: no such resource in the key's organization."""


class Conflict(ApiError):
    """409: a clash with the current state (a duplicate, a full quota, a run already ended)."""


class PreconditionFailed(ApiError):
    """412: the resource changed since the version sent in ``If-Match``; read it again."""


class InvalidInput(ApiError):
    """422: a well-formed request that breaks a rule (an expression that never fires...)."""


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` says how many seconds to wait."""


class Unavailable(ApiError):
    """503: the server is not ready (draining, or its database is unreachable)."""


ERROR_FOR_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: InvalidInput,
    429: RateLimited,
    503: Unavailable,
}
