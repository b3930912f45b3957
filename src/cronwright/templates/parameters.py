"""Typed template parameters: what each accepts, and values checked against them.

Every error names the parameter (``parameters.url: must start with http:// or https://``), so a
user who filled in a form, a command line or a file knows which value to fix.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from cronwright import cron, errors
from cronwright.domain import JsonValue

PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+|0")
_MAX_STRING = 2000


class ParameterType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    URL = "url"  # http or https
    CRON = "cron"  # a cron expression cronwright parses
    TIMEZONE = "timezone"  # an IANA zone name
    DATE = "date"  # YYYY-MM-DD
    DURATION = "duration"  # 30s, 10m, 1h30m, 2d


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    name: str
    type: ParameterType
    description: str
    default: JsonValue = None  # None: the parameter is required
    example: JsonValue = None  # a value that works, for a required parameter
    choices: tuple[JsonValue, ...] = ()
    minimum: float | None = None  # integer and number only
    maximum: float | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def to_json(self) -> dict[str, JsonValue]:
        raw: dict[str, JsonValue] = {
            "name": self.name,
            "type": self.type.value,
            "description": self.description,
            "required": self.required,
            "default": self.default,
        }
        if self.example is not None:
            raw["example"] = self.example
        if self.choices:
            raw["choices"] = list(self.choices)
        if self.minimum is not None:
            raw["minimum"] = self.minimum
        if self.maximum is not None:
            raw["maximum"] = self.maximum
        return raw

    def check(self, value: object, *, field: str | None = None) -> JsonValue:
        """``value`` as this parameter's JSON value; ``InvalidInput`` naming the parameter."""
        where = field or f"parameters.{self.name}"
        checked = _check_type(self.type, value, where)
        if self.choices and checked not in self.choices:
            listed = ", ".join(str(choice) for choice in self.choices)
            raise errors.InvalidInput(field=where, message=f"{checked!r} is not one of {listed}")
        if isinstance(checked, int | float) and not isinstance(checked, bool):
            if self.minimum is not None and checked < self.minimum:
                raise errors.InvalidInput(field=where, message=f"must be at least {self.minimum:g}")
            if self.maximum is not None and checked > self.maximum:
                raise errors.InvalidInput(field=where, message=f"must be at most {self.maximum:g}")
        return checked

    def from_text(self, text: str) -> JsonValue:
        """A value typed on a command line (``--param days=30``), read as this type."""
        where = f"parameters.{self.name}"
        if self.type is ParameterType.INTEGER:
            if not re.fullmatch(r"-?\d+", text.strip()):
                raise errors.InvalidInput(field=where, message=f"{text!r} is not a whole number")
            return self.check(int(text))
        if self.type is ParameterType.NUMBER:
            try:
                return self.check(float(text))
            except ValueError:
                raise errors.InvalidInput(
                    field=where, message=f"{text!r} is not a number"
                ) from None
        if self.type is ParameterType.BOOLEAN:
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise errors.InvalidInput(field=where, message=f"{text!r} is not true or false")
            return self.check(lowered == "true")
        return self.check(text)


def resolve_values(
    parameters: Sequence[Parameter],
    given: Mapping[str, object],
    *,
    field: str = "parameters",
) -> dict[str, JsonValue]:
    """Every parameter's value: the given one (checked) or its default. Unknown names and
    missing required values are refused, naming the parameter."""
    by_name = {parameter.name: parameter for parameter in parameters}
    for name in given:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise errors.InvalidInput(
                field=f"{field}.{name}", message=f"unknown parameter; this template has: {known}"
            )
    values: dict[str, JsonValue] = {}
    for parameter in parameters:
        where = f"{field}.{parameter.name}"
        if parameter.name in given and given[parameter.name] is not None:
            values[parameter.name] = parameter.check(given[parameter.name], field=where)
        elif parameter.required:
            raise errors.InvalidInput(
                field=where,
                message=f"is required ({parameter.type.value}): {parameter.description}",
            )
        else:
            values[parameter.name] = parameter.default
    return values


def _check_type(kind: ParameterType, value: object, where: str) -> JsonValue:
    if kind is ParameterType.BOOLEAN:
        if not isinstance(value, bool):
            raise errors.InvalidInput(field=where, message="must be true or false")
        return value
    if kind is ParameterType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.InvalidInput(field=where, message="must be a whole number")
        return value
    if kind is ParameterType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise errors.InvalidInput(field=where, message="must be a number")
        return value
    if kind is ParameterType.DATE and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()  # YAML reads an unquoted 2027-03-01 as a date
    if not isinstance(value, str):
        raise errors.InvalidInput(field=where, message=f"must be text ({kind.value})")
    if len(value) > _MAX_STRING:
        raise errors.InvalidInput(field=where, message=f"must be at most {_MAX_STRING} characters")
    if "{{" in value or "}}" in value:
        # A value is data: it must not smuggle a reference into the workflow it fills in.
        raise errors.InvalidInput(field=where, message="must not contain '{{' or '}}'")
    _check_text(kind, value, where)
    return value


def _check_text(kind: ParameterType, value: str, where: str) -> None:
    if kind is ParameterType.URL:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.InvalidInput(field=where, message="must be an http:// or https:// URL")
    elif kind is ParameterType.CRON:
        try:
            cron.CronExpression.parse(value)
        except errors.CronSyntaxError as exc:
            raise errors.InvalidInput(field=where, message=f"{value!r}: {exc}") from None
    elif kind is ParameterType.TIMEZONE:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise errors.InvalidInput(
                field=where, message=f"{value!r} is not an IANA time zone name"
            ) from None
    elif kind is ParameterType.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise errors.InvalidInput(
                field=where, message=f"{value!r} is not a date (YYYY-MM-DD)"
            ) from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise errors.InvalidInput(field=where, message=f"{value!r} is not YYYY-MM-DD")
    elif kind is ParameterType.DURATION and not _DURATION.fullmatch(value):
        raise errors.InvalidInput(
            field=where, message=f"{value!r} is not a duration such as 30s, 10m, 1h30m or 2d"
        )
    elif kind is ParameterType.STRING and not value.strip():
        raise errors.InvalidInput(field=where, message="must not be empty")
