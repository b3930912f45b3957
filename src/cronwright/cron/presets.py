"""Named schedule templates: the common schedules, built from a few checked arguments.

Each builder returns a parsed :class:`CronExpression` (``.describe()`` says what it does) and
raises ``ValueError`` naming the argument at fault. :data:`PRESETS` lists them, so the API and the
CLI can offer them by name: ``PRESETS["weekly"].build(days=["MON", "THU"], at="08:30")``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time

from cronwright.cron.expression import CronExpression
from cronwright.cron.fields import WEEKDAY_NAMES

TimeOfDay = str | time
Weekday = str | int

_HH_MM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_WEEKDAY_NUMBERS = {name: number for number, name in enumerate(WEEKDAY_NAMES)}
_FULL_WEEKDAYS = {
    "SUNDAY": 0,
    "MONDAY": 1,
    "TUESDAY": 2,
    "WEDNESDAY": 3,
    "THURSDAY": 4,
    "FRIDAY": 5,
    "SATURDAY": 6,
}
# Steps that keep the same gap across the hour (or day) boundary: */7 would fire at :56 and :00.
MINUTE_INTERVALS = tuple(n for n in range(1, 60) if 60 % n == 0)
HOUR_INTERVALS = tuple(n for n in range(1, 24) if 24 % n == 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """A named template: ``build(**arguments)`` makes the expression."""

    name: str
    summary: str
    parameters: tuple[str, ...]
    build: Callable[..., CronExpression]


# -- argument checks -----------------------------------------------------------------------------


def _integer(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is out of range {low}-{high}")
    return value


def _time_of_day(at: object, name: str = "at") -> tuple[int, int]:
    """``(hour, minute)`` from ``"HH:MM"`` or a :class:`datetime.time` on a whole minute."""
    if isinstance(at, time):
        if at.tzinfo is not None:
            raise ValueError(
                f"{name}: give a wall-clock time without a zone; the schedule's zone applies"
            )
        if at.second or at.microsecond:
            raise ValueError(f"{name}: {at.isoformat()} is not on a whole minute")
        return at.hour, at.minute
    if isinstance(at, str) and (match := _HH_MM.fullmatch(at.strip())):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour <= 23 and minute <= 59:
            return hour, minute
    raise ValueError(f"{name}: expected a time of day as HH:MM (00:00-23:59), got {at!r}")


def _weekday(day: object, name: str) -> int:
    """0 (Sunday) to 6 from a number 0-7 or a name such as ``"MON"`` or ``"monday"``."""
    if isinstance(day, str):
        # Fold case for ASCII only: str.upper() turns some other letters into ASCII ones.
        key = day.strip().upper() if day.isascii() else day
        number = _WEEKDAY_NUMBERS.get(key, _FULL_WEEKDAYS.get(key))
        if number is None:
            raise ValueError(f"{name}: unknown weekday {day!r}; expected MON-SUN or 0-7")
        return number
    return _integer(day, name, 0, 7) % 7


def _build(text: str) -> CronExpression:
    return CronExpression.parse(text)


# -- builders ------------------------------------------------------------------------------------


def daily(at: TimeOfDay) -> CronExpression:
    """Every day at ``at`` ("HH:MM")."""
    hour, minute = _time_of_day(at)
    return _build(f"{minute} {hour} * * *")


def weekdays(at: TimeOfDay) -> CronExpression:
    """Monday to Friday at ``at``."""
    hour, minute = _time_of_day(at)
    return _build(f"{minute} {hour} * * MON-FRI")


def weekly(days: Weekday | Iterable[Weekday], at: TimeOfDay) -> CronExpression:
    """On each of ``days`` (names or 0-7, Sunday 0 or 7) at ``at``."""
    hour, minute = _time_of_day(at)
    chosen = [days] if isinstance(days, str | int) else list(days)
    if not chosen:
        raise ValueError("days: name at least one weekday")
    numbers = sorted({_weekday(day, "days") for day in chosen})
    names = ",".join(WEEKDAY_NAMES[number] for number in numbers)
    return _build(f"{minute} {hour} * * {names}")


def monthly(day: int, at: TimeOfDay) -> CronExpression:
    """On day ``day`` (1-31) of every month at ``at``; months without that day are skipped."""
    number = _integer(day, "day", 1, 31)
    hour, minute = _time_of_day(at)
    return _build(f"{minute} {hour} {number} * *")


def last_day_of_month(at: TimeOfDay) -> CronExpression:
    """On the last day of every month (28th to 31st) at ``at``."""
    hour, minute = _time_of_day(at)
    return _build(f"{minute} {hour} L * *")


def nth_weekday_of_month(nth: int, weekday: Weekday, at: TimeOfDay) -> CronExpression:
    """On the ``nth`` (1-5, or -1 for the last) ``weekday`` of every month at ``at``.

    A month without a fifth such weekday is skipped.
    """
    if nth != -1:
        _integer(nth, "nth", 1, 5)
    number = _weekday(weekday, "weekday")
    hour, minute = _time_of_day(at)
    day = f"{WEEKDAY_NAMES[number]}L" if nth == -1 else f"{WEEKDAY_NAMES[number]}#{nth}"
    return _build(f"{minute} {hour} * * {day}")


def every_n_minutes(minutes: int) -> CronExpression:
    """Every ``minutes`` minutes, on the minute, counted from each full hour."""
    _integer(minutes, "minutes", 1, 59)
    if minutes not in MINUTE_INTERVALS:
        last = 60 - 60 % minutes
        raise ValueError(
            f"minutes: {minutes} does not divide 60, so the runs at :{last:02d} and :00 would be "
            f"{60 - last} minutes apart; choose one of {_listing(MINUTE_INTERVALS)}, "
            "or every_n_hours for an hour or more"
        )
    return _build("* * * * *" if minutes == 1 else f"*/{minutes} * * * *")


def every_n_hours(hours: int, minute: int = 0) -> CronExpression:
    """Every ``hours`` hours from midnight, at ``minute`` past the hour."""
    _integer(hours, "hours", 1, 23)
    at_minute = _integer(minute, "minute", 0, 59)
    if hours not in HOUR_INTERVALS:
        last = 24 - 24 % hours
        raise ValueError(
            f"hours: {hours} does not divide 24, so the runs at {last:02d}:00 and 00:00 would be "
            f"{24 - last} hours apart; choose one of {_listing(HOUR_INTERVALS)}"
        )
    return _build(f"{at_minute} * * * *" if hours == 1 else f"{at_minute} */{hours} * * *")


def _listing(numbers: Iterable[int]) -> str:
    return ", ".join(str(number) for number in numbers)


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="daily",
            summary="Every day at a time of day",
            parameters=("at",),
            build=daily,
        ),
        Preset(
            name="weekdays",
            summary="Monday to Friday at a time of day",
            parameters=("at",),
            build=weekdays,
        ),
        Preset(
            name="weekly",
            summary="On chosen days of the week at a time of day",
            parameters=("days", "at"),
            build=weekly,
        ),
        Preset(
            name="monthly",
            summary="On a day of the month at a time of day; months without that day are skipped",
            parameters=("day", "at"),
            build=monthly,
        ),
        Preset(
            name="last_day_of_month",
            summary="On the last day of every month at a time of day",
            parameters=("at",),
            build=last_day_of_month,
        ),
        Preset(
            name="nth_weekday_of_month",
            summary="On the n-th (or last, -1) given weekday of every month, e.g. 2nd Tuesday",
            parameters=("nth", "weekday", "at"),
            build=nth_weekday_of_month,
        ),
        Preset(
            name="every_n_minutes",
            summary="Every n minutes, where n divides 60",
            parameters=("minutes",),
            build=every_n_minutes,
        ),
        Preset(
            name="every_n_hours",
            summary="Every n hours from midnight, where n divides 24, at a minute past the hour",
            parameters=("hours", "minute"),
            build=every_n_hours,
        ),
    )
}
