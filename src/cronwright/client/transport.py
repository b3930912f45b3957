"""One HTTP exchange with the API: the bearer key, a timeout, retries of 429 and 503 that honour
``Retry-After``, and problem documents turned into :class:`ApiError`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cronwright.client.errors import ERROR_FOR_STATUS, ApiError
from cronwright.clock import Clock

RETRIED_STATUSES = frozenset({429, 503})
PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "instance", "errors"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait for a server that asks us to come back later.

    Without ``Retry-After`` the waits double from ``first_wait``; a server's ``Retry-After``
    longer than ``max_wait`` is not waited for: the error is raised at once.
    """

    attempts: int = 4
    first_wait: timedelta = timedelta(seconds=0.5)
    max_wait: timedelta = timedelta(seconds=60)

    def wait_before(self, attempt: int, retry_after: float | None) -> timedelta | None:
        """The wait before attempt ``attempt + 1`` (1-based), or None to give up."""
        if attempt >= self.attempts:
            return None
        wait = (
            self.first_wait * 2 ** (attempt - 1)
            if retry_after is None
            else timedelta(seconds=retry_after)
        )
        return wait if wait <= self.max_wait else None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def problem_error(response: httpx.Response, retry_after: float | None) -> ApiError:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        document = {"detail": response.text[:500] or response.reason_phrase}
    errors = document.get("errors")
    cls = ERROR_FOR_STATUS.get(response.status_code, ApiError)
    return cls(
        response.status_code,
        title=str(document.get("title") or response.reason_phrase),
        detail=str(document.get("detail") or ""),
        type_=str(document.get("type") or "about:blank"),
        instance=str(document.get("instance") or response.request.url.path),
        errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        extra={k: v for k, v in document.items() if k not in PROBLEM_FIELDS},
        retry_after=retry_after,
    )


class Transport:
    def __init__(
        self, http: httpx.Client, clock: Clock, retry: RetryPolicy, *, user_agent: str
    ) -> None:
        self._http = http
        self._clock = clock
        self._retry = retry
        self._user_agent = user_agent

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The answer to one request, retried while the server says 429 or 503."""
        sent = {"User-Agent": self._user_agent, **(headers or {})}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            response = self._http.request(method, path, params=query, json=json, headers=sent)
            if response.status_code < 400:
                return response
            after = retry_after_seconds(response.headers.get("Retry-After"), self._clock.now())
            wait = (
                self._retry.wait_before(attempt, after)
                if response.status_code in RETRIED_STATUSES
                else None
            )
            if wait is None:
                raise problem_error(response, after)
            self._clock.sleep_until(self._clock.now() + wait)

    def close(self) -> None:
        self._http.close()
