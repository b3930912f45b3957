"""Bounded field types shared by every request and response model, and the problem document.

Every string is checked for NUL characters and lone surrogates (PostgreSQL and UTF-8 refuse them),
every JSON document for size, and every instant for a range the database and the cron engine
handle, so nothing malformed gets past the edge to fail deeper down as a 500.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
)

from cronwright import domain
from cronwright.service import paging

MAX_ID = domain.ids.MAX_ID
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class Strict(BaseModel):
    """Requests: unknown fields are refused, not ignored; no NaN or infinity; and no value of
    another JSON type taken for the one the schema names (``true`` is not an integer, ``"3"`` is
    not a number, ``1`` is not a boolean). Fields whose JSON form is a string of another type
    (instants, enums) say so with :data:`FROM_TEXT`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


# Strict validation in Python mode (which FastAPI uses on the decoded JSON) wants an enum member
# or a datetime object; these fields come as strings, checked as such.
FROM_TEXT = Field(strict=False)


INSTANT_PATTERN = (  # RFC 3339, years 1970-2199 (what the database and the cron engine handle)
    r"^(?:19[7-9][0-9]|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_INSTANT = re.compile(INSTANT_PATTERN)


def instant_text(value: object) -> object:
    """Instants come as RFC 3339 text, never as numbers (which pydantic would read as epoch
    seconds), within the years the schema publishes."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    if not _INSTANT.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time between 1970 and 2199")
    return value


def json_integer(value: object) -> object:
    """An integer as JSON has it: ``3`` or ``3.0``, never ``true`` or ``"3"``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


class Out(BaseModel):
    """Responses: members this version does not know are ignored when an answer is read, so a
    newer server that adds a field breaks neither this version's client nor tools generated
    from the published document (which leaves response objects open). Requests stay
    :class:`Strict`."""

    model_config = ConfigDict(extra="ignore")


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _walk_json(value: object, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"must be nested at most {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        clean_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must not contain NaN or infinity")
    elif isinstance(value, list):
        for item in value:
            _walk_json(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_text(key)
            _walk_json(item, depth + 1)


def bounded_json(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    _walk_json(value, 0)
    size = len(domain.canonical_json(value).encode())
    if size > MAX_JSON_BYTES:
        raise ValueError(f"must be at most {MAX_JSON_BYTES} bytes as JSON, not {size}")
    return value


def in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be between 1970 and 2199")
    return utc


# Integers in bodies: a float with no fraction is an integer in JSON; a boolean or text is not.
# Bounds go in a Field before it: ``Annotated[int, Field(ge=1, strict=False), JSON_INTEGER]``
# (after a validator, the document would name them ``ge``/``le``, not ``minimum``/``maximum``).
JSON_INTEGER = BeforeValidator(json_integer)
Integer = Annotated[int, Field(strict=False), JSON_INTEGER]
Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False), JSON_INTEGER]
Text = Annotated[str, AfterValidator(clean_text)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_text)]
Instant = Annotated[
    AwareDatetime,
    Field(strict=False, json_schema_extra={"pattern": INSTANT_PATTERN}),
    BeforeValidator(instant_text),
    AfterValidator(in_range),
]
JsonDocument = Annotated[dict[str, JsonValue], AfterValidator(bounded_json)]
Cursor = Annotated[str, Field(pattern=paging.CURSOR_PATTERN, examples=["2a"])]
PageSize = Annotated[int, Field(ge=1, le=domain.MAX_PAGE_SIZE)]


class FieldError(Out):
    field: str = Field(examples=["cron"])
    message: str = Field(examples=["minute: 60 is out of range 0-59 (column 1)"])


class Problem(BaseModel):
    """An RFC 9457 problem document; ``errors`` names each field at fault."""

    model_config = ConfigDict(extra="allow")  # some problems add members (e.g. existing_id)

    type: str = Field(examples=["urn:cronwright:problem:invalid-input"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["cron: minute: 60 is out of range 0-59 (column 1)"])
    instance: str = Field(examples=["/api/v1/schedules"])
    errors: list[FieldError] = Field(default_factory=list)


def as_json_object(value: dict[str, JsonValue]) -> domain.JsonObject:
    """Pydantic's JSON value type and ours describe the same values."""
    result: Any = value
    return dict(result)
