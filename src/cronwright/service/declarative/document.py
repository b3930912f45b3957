"""The declaration file's structure: ``organization``, ``workflows`` and ``schedules``.

Names are the identity: a workflow or a schedule is matched to the organization's by its name,
so two entries with the same name in one file are refused. Every check here is structural; the
rules of the data (cron syntax, zones, step kinds...) are the service's, applied by the planner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from cronwright import domain
from cronwright.service.declarative.source import ApplyError, Collector, Source
from cronwright.service.validation import did_you_mean

_TOP_KEYS = frozenset({"organization", "workflows", "schedules"})
_WORKFLOW_KEYS = frozenset({"name", "steps"})
_ENUMS: dict[str, type[StrEnum]] = {
    "dst_gap": domain.DstGapPolicy,
    "dst_fold": domain.DstFoldPolicy,
    "catchup": domain.CatchupPolicy,
    "overlap": domain.OverlapPolicy,
}
DURATION_FIELDS = frozenset(
    {"catchup_window", "misfire_grace", "backoff_initial", "backoff_max", "timeout", "jitter"}
)
_SCHEDULE_KEYS = frozenset({"workflow", "template", *domain.SPEC_FIELDS} - {"workflow_id"})
_TEMPLATE_KEYS = frozenset({"name", "version", "parameters"})
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_UNITS |= {"s": timedelta(seconds=1), "ms": timedelta(milliseconds=1)}


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowEntry:
    path: str  # workflows[i]
    name: str
    definition: dict[str, Any]  # {"steps": [...]}, validated by the planner


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateUse:
    """A schedule made from a template: its workflow and fields come from the template."""

    name: str
    version: int | None  # None: the newest
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEntry:
    path: str  # schedules[i]
    name: str
    workflow: str
    fields: dict[str, Any]  # ScheduleSpec fields given in the file, already typed
    paused: bool | None  # None: the file leaves pausing to the operators
    template: TemplateUse | None = None  # fields given beside it override the template's


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    source: Source
    organization: str
    workflows: tuple[WorkflowEntry, ...]
    schedules: tuple[ScheduleEntry, ...]
    # What is wrong with the entries left out above; the planner reports these with its own,
    # so one run shows every error of the file.
    problems: tuple[ApplyError, ...] = ()
    # Every workflow name the file gives, its faulty entries' too: a schedule naming one of
    # those is not also told that the workflow does not exist.
    named_workflows: frozenset[str] = frozenset()


def read(source: Source) -> Document:
    """The file's structure, checked: the entries that are well-formed, and what is wrong
    with the others (raised at once only when the file holds no mapping at all)."""
    data = source.data
    if not isinstance(data, Mapping):
        raise source.error(
            "",
            "the file must hold a mapping with 'organization' at the top "
            "(YAML or JSON; TOML when the file name ends in .toml)",
        )
    found = Collector()
    with found.each():
        _no_unknown(source, "", data, _TOP_KEYS)
    organization = ""
    with found.each():
        organization = _string(source, "organization", data.get("organization"))
    workflows: list[WorkflowEntry] = []
    named: set[str] = set()
    with found.each():
        for i, raw in enumerate(_list(source, "workflows", data.get("workflows"))):
            if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
                named.add(raw["name"].strip())
            with found.each():
                workflows.append(_workflow(source, f"workflows[{i}]", raw))
    schedules: list[ScheduleEntry] = []
    with found.each():
        for i, raw in enumerate(_list(source, "schedules", data.get("schedules"))):
            with found.each():
                schedules.append(_schedule(source, f"schedules[{i}]", raw))
    with found.each():
        _unique(source, "workflow", tuple(workflows))
    with found.each():
        _unique(source, "schedule", tuple(schedules))
    return Document(
        source=source,
        organization=organization,
        workflows=tuple(workflows),
        schedules=tuple(schedules),
        problems=tuple(found.found),
        named_workflows=frozenset(named),
    )


def _unique(
    source: Source, noun: str, entries: tuple[WorkflowEntry, ...] | tuple[ScheduleEntry, ...]
) -> None:
    first: dict[str, str] = {}
    found = Collector()
    for entry in entries:
        if entry.name in first:
            earlier = first[entry.name]
            line = source.line_of(earlier)
            at = f" (line {line})" if line is not None else ""
            found.found.append(
                source.error(
                    f"{entry.path}.name",
                    f"{noun} name {entry.name!r} is already used by {earlier}{at}; names "
                    f"identify {noun}s, so each may appear once",
                )
            )
            continue
        first[entry.name] = entry.path
    found.raise_any()


def _workflow(source: Source, path: str, raw: object) -> WorkflowEntry:
    if not isinstance(raw, Mapping):
        raise source.error(path, "must be a mapping with 'name' and 'steps'")
    found = Collector()
    with found.each():
        _no_unknown(source, path, raw, _WORKFLOW_KEYS)
    name = ""
    with found.each():
        name = _string(source, f"{path}.name", raw.get("name"))
    with found.each():
        if _missing(raw, "steps", _WORKFLOW_KEYS):
            raise source.error(f"{path}.steps", "is required")
        if "steps" in raw:
            _json_only(source, f"{path}.steps", raw["steps"])
    found.raise_any()
    return WorkflowEntry(path=path, name=name, definition={"steps": raw["steps"]})


def _schedule(source: Source, path: str, raw: object) -> ScheduleEntry:
    if not isinstance(raw, Mapping):
        raise source.error(path, "must be a mapping with 'name', 'workflow' and 'cron'")
    found = Collector()
    with found.each():
        _no_unknown(source, path, raw, _SCHEDULE_KEYS)
    name = workflow = ""
    template: TemplateUse | None = None
    with found.each():
        name = _string(source, f"{path}.name", raw.get("name"))
    with found.each():
        template = _template(source, f"{path}.template", raw.get("template"))
    if raw.get("template") is None:
        with found.each():
            workflow = _string(source, f"{path}.workflow", raw.get("workflow"))
        if _missing(raw, "cron", _SCHEDULE_KEYS):
            with found.each():
                _string(source, f"{path}.cron", None)
    else:  # the template makes the workflow; named after the schedule unless the file says
        with found.each():
            workflow = _string(source, f"{path}.workflow", raw.get("workflow", name))
    fields: dict[str, Any] = {}
    paused: bool | None = None
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key in ("name", "workflow", "template") or key not in _SCHEDULE_KEYS:
            continue
        with found.each():
            if key == "paused":
                paused = _bool(source, where, value)
            else:
                fields[key] = _field(source, where, str(key), value)
    found.raise_any()
    return ScheduleEntry(
        path=path, name=name, workflow=workflow, fields=fields, paused=paused, template=template
    )


def _template(source: Source, where: str, raw: object) -> TemplateUse | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise source.error(where, "must be a template's name, or a mapping with 'name'")
    _no_unknown(source, where, raw, _TEMPLATE_KEYS)
    name = _string(source, f"{where}.name", raw.get("name"))
    version = raw.get("version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or version < 1
    ):
        raise source.error(f"{where}.version", "must be a whole number >= 1")
    parameters = raw.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise source.error(f"{where}.parameters", "must be a mapping of parameter values")
    for key in parameters:
        if not isinstance(key, str):
            raise source.error(f"{where}.parameters", f"key {key!r} must be text; quote it")
    return TemplateUse(name=name, version=version, parameters=dict(parameters))


def _field(source: Source, where: str, key: str, value: object) -> Any:
    if key in ("cron", "timezone"):
        return _string(source, where, value)
    if key in _ENUMS:
        enum = _ENUMS[key]
        try:
            return enum(str(value))
        except ValueError:
            allowed = [member.value for member in enum]
            hint = did_you_mean(str(value), allowed)
            listed = ", ".join(allowed)
            raise source.error(where, f"{value!r} is not one of {listed}{hint}") from None
    if key in DURATION_FIELDS:
        return _duration(source, where, value)
    if key in ("start_at", "end_at"):
        return _instant(source, where, value)
    if key == "input":
        if not isinstance(value, Mapping):
            raise source.error(where, "must be a mapping")
        _json_only(source, where, value)
        return dict(value)
    if key == "max_attempts":
        if not isinstance(value, int) or isinstance(value, bool):
            raise source.error(where, "must be a whole number")
        return value
    if key == "backoff_factor":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise source.error(where, "must be a number")
        return float(value)
    raise AssertionError(key)  # every spec field is handled above


def parse_duration(text: str) -> timedelta | None:
    """``90s``, ``10m``, ``1h30m``, ``500ms``, ``1d``; None if ``text`` is none of these."""
    text = text.strip()
    if text == "0":
        return timedelta(0)
    matches = list(_DURATION.finditer(text))
    if not matches or "".join(m.group() for m in matches) != text:
        return None
    return sum((float(m.group(1)) * _UNITS[m.group(2)] for m in matches), timedelta(0))


def format_duration(value: timedelta) -> str:
    """The shortest spelling :func:`parse_duration` reads back as ``value``."""
    if value == timedelta(0):
        return "0s"
    parts, rest = [], value
    for unit in ("d", "h", "m", "s", "ms"):
        count = rest // _UNITS[unit]
        if count:
            parts.append(f"{count}{unit}")
            rest -= count * _UNITS[unit]
    if rest:
        parts.append(f"{rest.microseconds / 1000}ms")
    return "".join(parts)


def _duration(source: Source, where: str, value: object) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)  # a bare number is seconds
    parsed = parse_duration(value) if isinstance(value, str) else None
    if parsed is None:
        raise source.error(where, f"{value!r} is not a duration such as 30s, 10m, 1h30m or 2d")
    return parsed


def _instant(source: Source, where: str, value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise source.error(where, f"{value!r} is not an ISO-8601 date and time") from None
    if not isinstance(value, datetime):
        raise source.error(where, "must be an ISO-8601 date and time with an offset")
    if value.utcoffset() is None:
        raise source.error(where, "needs a UTC offset, e.g. 2026-01-01T00:00:00Z")
    return value


def _string(source: Source, where: str, value: object) -> str:
    if value is None:
        raise source.error(where, "is required")
    if not isinstance(value, str) or not value.strip():
        raise source.error(where, "must be a non-empty string")
    return value.strip() if where.endswith(".name") or where == "organization" else value


def _bool(source: Source, where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise source.error(where, "must be true or false")
    return value


def _list(source: Source, where: str, value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise source.error(where, "must be a list")
    return value


def _no_unknown(source: Source, path: str, raw: Mapping[Any, Any], known: frozenset[str]) -> None:
    found = Collector()
    for key in raw:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            hint = did_you_mean(str(key), sorted(known))
            listed = f"; known fields: {', '.join(sorted(known))}"
            found.found.append(source.error(where, f"unknown field {key!r}{hint or listed}"))
    found.raise_any()


def _missing(raw: Mapping[Any, Any], key: str, known: frozenset[str]) -> bool:
    """``key`` is absent and no unknown key of ``raw`` is a misspelling of it (which is
    reported already, with the suggestion)."""
    if key in raw:
        return False
    meant = f"; did you mean {key!r}?"
    return all(
        did_you_mean(str(other), sorted(known)) != meant for other in raw if other not in known
    )


def _json_only(source: Source, where: str, value: object) -> None:
    """YAML has values JSON lacks: dates (``2026-01-01`` unquoted) would be refused later with a
    vaguer message, so name the exact place here."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise source.error(where, f"key {key!r} must be text; quote it")
            _json_only(source, f"{where}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_only(source, f"{where}[{index}]", item)
    elif isinstance(value, date):
        raise source.error(where, f"{value} is read as a date; quote it to pass it as text")
    elif not (value is None or isinstance(value, str | int | float | bool)):
        raise source.error(where, f"{value!r} is not a JSON value")
