"""What went wrong talking to a server, as the one line and exit status of ``cli/failures.py``.

The server's problem documents already carry the message the database would give (``no schedule
with id 7``, ``cron: ...``), so those are printed as they are; the status only picks the exit
code (2 for input the server refused, 1 for the rest) and, for a refused key, the hint.
"""

from __future__ import annotations

import json
import re

import httpx
import pydantic

from cronwright import client
from cronwright.api.schemas import common as api_common
from cronwright.cli import failures

INVALID_STATUSES = frozenset({400, 422})


def explain(exc: BaseException, url: str, *, timeout: float) -> tuple[str, int] | None:
    """``(line, exit status)`` for an error of the client, None for any other error."""
    if isinstance(exc, client.ApiError):
        return _problem(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"{url} did not answer within {timeout:g} s", failures.EXIT_ERROR
    if isinstance(exc, httpx.ConnectError):
        reason = re.sub(r"^\[Errno -?\d+\]\s*", "", _one_line(exc)) or "no answer"
        return (
            f"cannot connect to {url} ({reason}): is the server running, and is --api "
            "(or CRONWRIGHT_API_URL) its address?",
            failures.EXIT_ERROR,
        )
    if isinstance(exc, httpx.HTTPError):
        return f"the exchange with {url} failed: {_one_line(exc)}", failures.EXIT_ERROR
    if isinstance(exc, json.JSONDecodeError):
        return f"{url} did not answer with JSON: is it a cronwright server?", failures.EXIT_ERROR
    if isinstance(exc, pydantic.ValidationError):
        return _unfit(exc, url)
    return None


def _problem(exc: client.ApiError) -> tuple[str, int]:
    detail = exc.detail or exc.title
    if isinstance(exc, client.Unauthenticated):
        return (
            f"{detail} (401): check CRONWRIGHT_API_KEY (or --api-key)",
            failures.EXIT_ERROR,
        )
    if isinstance(exc, client.RateLimited) and exc.retry_after is not None:
        return f"{detail} (429): try again in {exc.retry_after:g} s", failures.EXIT_ERROR
    if isinstance(exc, client.Unavailable):
        return f"the server is unavailable (503): {detail}", failures.EXIT_ERROR
    if exc.status >= 500:
        return f"the server failed ({exc.status} {exc.title}): {detail}", failures.EXIT_ERROR
    code = failures.EXIT_INVALID if exc.status in INVALID_STATUSES else failures.EXIT_ERROR
    return detail, code


def _unfit(exc: pydantic.ValidationError, url: str) -> tuple[str, int]:
    """A request the client refused before sending it (as the server would have), or an answer
    that does not fit this version's models (a server of another version)."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or "body"
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    if exc.title in _request_models():
        return f"{field}: {message[:1].lower()}{message[1:]}", failures.EXIT_INVALID
    return (
        f"the answer of {url} does not fit this version's API ({exc.title}.{field}: {message}); "
        "are the server and this command the same version?",
        failures.EXIT_ERROR,
    )


def _request_models() -> set[str]:
    """Names of the API's request bodies (every one is ``Strict``)."""
    names: set[str] = set()
    pending = [api_common.Strict]
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        pending += model.__subclasses__()
    return names


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
