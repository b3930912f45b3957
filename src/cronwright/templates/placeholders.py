"""Placeholders that a template's values are filled into: ``{{ params.url }}``.

A string that is exactly one placeholder takes the parameter's value with its JSON type (an
integer stays an integer); placeholders inside a longer string are replaced by their text. Two
filters do date arithmetic on ``date`` parameters, for reminders before a deadline:
``{{ params.renewal_date | minus_days: params.days_before }}`` (or a literal number of days).

Only the ``params`` root is a placeholder. ``{{ input.x }}`` and ``{{ steps.a.output }}`` are the
run's references, left as they are for the worker to fill in when the run happens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from cronwright import errors
from cronwright.domain import JsonValue

_ANY = re.compile(r"\{\{\s*params\b[^{}]*\}\}")
_PLACEHOLDER = re.compile(
    r"\{\{\s*params\.(?P<name>[a-z][a-z0-9_]*)\s*"
    r"(?:\|\s*(?P<filter>plus_days|minus_days)\s*:\s*"
    r"(?:params\.(?P<days_param>[a-z][a-z0-9_]*)|(?P<days>\d{1,5}))\s*)?\}\}"
)


@dataclass(frozen=True, slots=True)
class Placeholder:
    text: str
    name: str
    filter: str | None = None
    days_param: str | None = None
    days: int | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        return (self.name,) if self.days_param is None else (self.name, self.days_param)


def parse(text: str) -> Placeholder:
    found = _PLACEHOLDER.fullmatch(text)
    if found is None:
        raise ValueError(
            f"{text} is not a placeholder: write {{{{ params.NAME }}}} or "
            "{{ params.NAME | minus_days: params.OTHER }}"
        )
    days = found.group("days")
    return Placeholder(
        text=text,
        name=found.group("name"),
        filter=found.group("filter"),
        days_param=found.group("days_param"),
        days=None if days is None else int(days),
    )


def placeholders_in(value: object, where: str = "") -> Iterator[tuple[str, Placeholder]]:
    """Every placeholder in the strings of ``value`` with where it is; ``InvalidInput`` for a
    malformed one."""
    if isinstance(value, str):
        for match in _ANY.finditer(value):
            try:
                yield where, parse(match.group(0))
            except ValueError as exc:
                raise errors.InvalidInput(field=where or "template", message=str(exc)) from None
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from placeholders_in(item, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from placeholders_in(item, f"{where}.{key}" if where else str(key))


def parameters_in(value: object) -> list[str]:
    """Names of the parameters ``value`` uses, in order of first use."""
    names: dict[str, None] = {}
    for _, placeholder in placeholders_in(value):
        names.update(dict.fromkeys(placeholder.parameters))
    return list(names)


def fill(value: JsonValue, values: Mapping[str, JsonValue]) -> JsonValue:
    """``value`` with every placeholder replaced from ``values`` (already checked)."""
    if isinstance(value, str):
        return _fill_string(value, values)
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value


def _fill_string(text: str, values: Mapping[str, JsonValue]) -> JsonValue:
    if _PLACEHOLDER.fullmatch(text):
        return _value(parse(text), values)
    if "{{" not in text:
        return text
    return _ANY.sub(lambda match: _as_text(_value(parse(match.group(0)), values)), text)


def _value(placeholder: Placeholder, values: Mapping[str, JsonValue]) -> JsonValue:
    value = values[placeholder.name]
    if placeholder.filter is None:
        return value
    days = placeholder.days if placeholder.days_param is None else values[placeholder.days_param]
    if not isinstance(value, str) or not isinstance(days, int) or isinstance(days, bool):
        raise errors.InvalidInput(
            field=f"parameters.{placeholder.name}",
            message=f"{placeholder.filter} needs a date and a whole number of days",
        )
    sign = 1 if placeholder.filter == "plus_days" else -1
    try:
        return (date.fromisoformat(value) + sign * timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):
        raise errors.InvalidInput(
            field=f"parameters.{placeholder.name}",
            message=f"{value} {placeholder.filter} {days} is not a date",
        ) from None


def _as_text(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
