"""A rendered template's ``schedule`` section as :class:`~cronwright.domain.ScheduleSpec` fields.

The keys and spellings are those of an ``apply`` file's schedule (durations as ``10m``, policies
by name), so a template reads like the files users already write. ``start_at`` and ``end_at``
also take a bare date, meaning that day's start in the schedule's time zone: what a reminder
"from 30 days before the renewal date" needs. What the values mean (a cron that never fires, an
end before the start) is checked by the service, as for any schedule.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from cronwright import domain, errors

_ENUMS: dict[str, type[StrEnum]] = {
    "dst_gap": domain.DstGapPolicy,
    "dst_fold": domain.DstFoldPolicy,
    "catchup": domain.CatchupPolicy,
    "overlap": domain.OverlapPolicy,
}
_DURATIONS = frozenset(
    {"catchup_window", "misfire_grace", "backoff_initial", "backoff_max", "timeout", "jitter"}
)
KEYS = frozenset(set(domain.SPEC_FIELDS) - {"workflow_id", "name"})
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}


def spec_fields(schedule: domain.JsonObject, *, field: str = "schedule") -> dict[str, Any]:
    """Typed spec fields; ``InvalidInput`` naming ``schedule.<key>`` for a value of a wrong type."""
    typed: dict[str, Any] = {}
    for key in schedule:
        if key not in KEYS:
            raise errors.InvalidInput(
                field=f"{field}.{key}",
                message=f"unknown schedule field; known fields: {', '.join(sorted(KEYS))}",
            )
    zone_name = schedule.get("timezone", domain.schedule.DEFAULT_TIMEZONE)
    for key, value in schedule.items():
        typed[key] = _typed(key, value, f"{field}.{key}", zone_name)
    return typed


def parse_duration(value: object, where: str) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            return timedelta(0)
        parts = list(_DURATION_PART.finditer(text))
        if parts and "".join(part.group() for part in parts) == text:
            return sum((float(p.group(1)) * _UNITS[p.group(2)] for p in parts), timedelta(0))
    raise errors.InvalidInput(
        field=where, message=f"{value!r} is not a duration such as 30s, 10m, 1h30m or 2d"
    )


def _typed(key: str, value: object, where: str, zone_name: object) -> Any:
    if key in ("cron", "timezone"):
        if not isinstance(value, str) or not value.strip():
            raise errors.InvalidInput(field=where, message="must be a non-empty string")
        return value
    if key == "paused":
        if not isinstance(value, bool):
            raise errors.InvalidInput(field=where, message="must be true or false")
        return value
    if key in _ENUMS:
        try:
            return _ENUMS[key](str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in _ENUMS[key])
            raise errors.InvalidInput(
                field=where, message=f"{value!r} is not one of {allowed}"
            ) from None
    if key in _DURATIONS:
        return parse_duration(value, where)
    if key in ("start_at", "end_at"):
        return _instant(value, where, zone_name)
    if key == "input":
        if not isinstance(value, dict):
            raise errors.InvalidInput(field=where, message="must be a mapping")
        return value
    if key == "max_attempts":
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.InvalidInput(field=where, message="must be a whole number")
        return value
    if key == "backoff_factor":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise errors.InvalidInput(field=where, message="must be a number")
        return float(value)
    raise AssertionError(key)  # KEYS lists exactly the fields handled above


def _instant(value: object, where: str, zone_name: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.InvalidInput(field=where, message="must be a date or an ISO-8601 instant")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            zone = zoneinfo.ZoneInfo(str(zone_name))
            day = date.fromisoformat(text)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise errors.InvalidInput(
                field=where, message=f"{text!r} is not a date in a known time zone"
            ) from None
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput(
            field=where, message=f"{text!r} is not a date or an ISO-8601 instant"
        ) from None
    if instant.utcoffset() is None:
        raise errors.InvalidInput(field=where, message="needs a UTC offset, e.g. ...T09:00:00Z")
    return instant.astimezone(UTC)
