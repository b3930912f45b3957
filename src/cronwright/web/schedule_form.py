"""The schedule form: what its fields hold, read into spec fields for the service to validate.

The form only turns text into values (numbers of seconds, JSON, times); every rule about a
schedule is the service's, the same the API applies, and its error names the spec field, which
is also the form field's name, so the message lands next to the right input.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from cronwright import domain, errors
from cronwright.web import run_list
from cronwright.web.forms import json_object
from cronwright.web.pages import as_json

SECONDS_FIELDS = (
    "catchup_window",
    "misfire_grace",
    "backoff_initial",
    "backoff_max",
    "timeout",
    "jitter",
)
POLICIES: dict[str, list[str]] = {
    "catchup": [p.value for p in domain.CatchupPolicy],
    "overlap": [p.value for p in domain.OverlapPolicy],
    "dst_gap": [p.value for p in domain.DstGapPolicy],
    "dst_fold": [p.value for p in domain.DstFoldPolicy],
}
TEXT_FIELDS = ("name", "cron", "timezone", *POLICIES)
OPTIONAL = frozenset({*SECONDS_FIELDS, "max_attempts", "backoff_factor"})


@cache
def zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


@dataclass(slots=True, kw_only=True)
class Parsed:
    fields: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def values_of(spec: domain.ScheduleSpec) -> dict[str, str]:
    """The form's text for an existing spec (to edit it)."""
    values = {name: str(getattr(spec, name)) for name in ("name", "cron", "timezone")}
    values.update({name: getattr(spec, name).value for name in POLICIES})
    for name in SECONDS_FIELDS:
        values[name] = f"{getattr(spec, name).total_seconds():g}"
    values["max_attempts"] = str(spec.max_attempts)
    values["backoff_factor"] = f"{spec.backoff_factor:g}"
    values["workflow_id"] = str(spec.workflow_id)
    values["input"] = as_json(spec.input) if spec.input else ""
    for name in ("start_at", "end_at"):
        at = getattr(spec, name)
        values[name] = "" if at is None else f"{at:%Y-%m-%dT%H:%M}"
    return values


def parse(form: dict[str, str]) -> Parsed:
    """Spec fields from the form's text; unreadable fields go to ``errors`` by name."""
    parsed = Parsed()
    for name in TEXT_FIELDS:
        if name in form:
            parsed.fields[name] = form[name].strip() if name != "cron" else form[name]
    readers = {
        "workflow_id": _workflow,
        "max_attempts": _integer,
        "backoff_factor": _number,
        "input": lambda text, name: json_object(text, name),
        **dict.fromkeys(SECONDS_FIELDS, _seconds),
        "start_at": _instant,
        "end_at": _instant,
    }
    for name, read in readers.items():
        if name not in form or (name in OPTIONAL and not form[name].strip()):
            continue  # left empty: the default (on creation) or unchanged (on an edit)
        try:
            parsed.fields[name] = read(form[name], name)
        except errors.InvalidInput as exc:
            parsed.errors[exc.field] = exc.message
    return parsed


def _workflow(text: str, name: str) -> domain.WorkflowId:
    found = run_list.parse_id(text.strip(), name)
    if found is None:
        raise errors.InvalidInput(field=name, message="choose a workflow")
    return domain.WorkflowId(found)


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise errors.InvalidInput(field=name, message=f"{text!r} is not a number") from None


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.InvalidInput(field=name, message=f"{text!r} is not a whole number") from None


def _seconds(text: str, name: str) -> timedelta:
    seconds = _number(text, name)
    if not 0 <= seconds < 10**9:
        raise errors.InvalidInput(field=name, message="must be a number of seconds, 0 or more")
    return timedelta(seconds=seconds)


def _instant(text: str, name: str) -> Any:
    if not text.strip():
        return None
    query = run_list.RunQuery(since=text.strip())
    try:
        return query.to_filter().since
    except errors.InvalidInput as exc:
        raise errors.InvalidInput(field=name, message=exc.message) from None
