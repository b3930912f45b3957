"""The rules a schedule spec must meet before it is saved; each names the field at fault."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronwright import cron, domain, errors
from cronwright.planning.slots import Cadence
from cronwright.service.organizations import check_name

MAX_ATTEMPTS = domain.schedule.MAX_ATTEMPTS
MAX_CRON_LENGTH = 200
_DURATIONS = ("catchup_window", "misfire_grace", "backoff_initial", "backoff_max", "jitter")


def normalize(spec: domain.ScheduleSpec) -> domain.ScheduleSpec:
    """One spelling per meaning where it is free: trimmed name, single spaces in the expression
    (so conflict detection sees ``0  9 * * *`` and ``0 9 * * *`` as the same)."""
    return spec.replace(name=spec.name.strip(), cron=" ".join(spec.cron.split()))


def check_zone(name: str) -> ZoneInfo:
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name.strip(), zone_names(), folded=True)
        raise errors.InvalidInput(
            field="timezone", message=f"unknown time zone {name!r}{hint}"
        ) from None


@functools.cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def did_you_mean(given: str, known: Sequence[str], *, folded: bool = False) -> str:
    """``; did you mean 'Europe/Berlin'?`` for the closest of ``known`` (same letters in
    another case first, when ``folded``), or nothing when none is close."""
    if folded:
        same = [name for name in known if name.lower() == given.lower()]
        if same:
            return f"; did you mean {same[0]!r}?"
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_cron(text: str, *, hash_key: str) -> cron.CronExpression:
    if len(text) > MAX_CRON_LENGTH:
        raise errors.InvalidInput(
            field="cron", message=f"must be at most {MAX_CRON_LENGTH} characters"
        )
    try:
        return cron.CronExpression.parse(text, hash_key=hash_key)
    except errors.CronSyntaxError as exc:
        raise errors.InvalidInput(field="cron", message=str(exc)) from exc


def validate(spec: domain.ScheduleSpec, *, hash_key: str, now: datetime) -> Cadence:
    """Check everything about ``spec`` that needs no database; return its fire-time calculator.

    The workflow's existence in the organization is checked by the caller against the store.
    """
    check_name(spec.name)
    check_zone(spec.timezone)
    expr = parse_cron(spec.cron, hash_key=hash_key)
    for name in ("start_at", "end_at"):
        instant = getattr(spec, name)
        if instant is not None and instant.utcoffset() is None:
            raise errors.InvalidInput(field=name, message="must be timezone-aware")
    if spec.start_at is not None and spec.end_at is not None and spec.end_at <= spec.start_at:
        raise errors.InvalidInput(field="end_at", message="must be after start_at")
    _check_input(spec.input)
    _check_retry_policy(spec)
    cadence = Cadence.with_expression(expr, spec)
    if expr.next(now, cadence.zone, dst_gap=cadence.dst_gap, dst_fold=cadence.dst_fold) is None:
        raise errors.InvalidInput(field="cron", message=f"{spec.cron!r} never fires")
    if cadence.next_fire_at(after=now) is None:
        assert spec.end_at is not None  # only an end can stop an expression that fires
        message = "is in the past" if spec.end_at <= now else "leaves no fire time before it"
        raise errors.InvalidInput(field="end_at", message=message)
    return cadence


def _check_input(value: object) -> None:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise errors.InvalidInput(field="input", message="must be a JSON object")
    try:
        domain.canonical_json(value)
    except (TypeError, ValueError):
        raise errors.InvalidInput(field="input", message="must hold JSON values only") from None


def _check_retry_policy(spec: domain.ScheduleSpec) -> None:
    if not 1 <= spec.max_attempts <= MAX_ATTEMPTS:
        raise errors.InvalidInput(
            field="max_attempts", message=f"must be between 1 and {MAX_ATTEMPTS}"
        )
    if not spec.backoff_factor >= 1:  # also refuses NaN
        raise errors.InvalidInput(field="backoff_factor", message="must be at least 1")
    for name in _DURATIONS:
        if getattr(spec, name) < timedelta(0):
            raise errors.InvalidInput(field=name, message="must not be negative")
    if spec.backoff_max < spec.backoff_initial:
        raise errors.InvalidInput(field="backoff_max", message="must be at least backoff_initial")
    if spec.timeout <= timedelta(0):
        raise errors.InvalidInput(field="timeout", message="must be positive")
