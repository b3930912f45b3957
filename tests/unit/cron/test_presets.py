"""Presets build the expressions they promise: checked by their fire times, not only their text."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest

from cronwright import cron
from cronwright.cron import PRESETS, CronExpression, presets

# Thursday 2026-01-01 00:00 UTC
START = datetime(2026, 1, 1, tzinfo=UTC)


def fires(expr: CronExpression, count: int = 4, tz: str = "UTC") -> list[str]:
    return [f.local.isoformat() for f in expr.preview(START, tz, count)]


def test_daily() -> None:
    expr = presets.daily("07:05")
    assert fires(expr, 2) == ["2026-01-01T07:05:00+00:00", "2026-01-02T07:05:00+00:00"]
    assert expr.describe() == "At 07:05"


def test_daily_accepts_a_time_object_and_fires_in_the_schedule_zone() -> None:
    expr = presets.daily(time(9, 30))
    assert fires(expr, 1, "Europe/Berlin") == ["2026-01-01T09:30:00+01:00"]


def test_weekdays_skip_the_weekend() -> None:
    expr = presets.weekdays("09:00")
    assert fires(expr, 3) == [
        "2026-01-01T09:00:00+00:00",  # Thursday
        "2026-01-02T09:00:00+00:00",  # Friday
        "2026-01-05T09:00:00+00:00",  # Monday
    ]
    assert expr.describe() == "At 09:00, Monday through Friday"


def test_weekly_on_named_days_in_any_order_and_case() -> None:
    expr = presets.weekly(["thursday", "MON", 7], "08:30")
    assert expr.text == "30 8 * * SUN,MON,THU"
    assert fires(expr, 4) == [
        "2026-01-01T08:30:00+00:00",  # Thursday
        "2026-01-04T08:30:00+00:00",  # Sunday
        "2026-01-05T08:30:00+00:00",  # Monday
        "2026-01-08T08:30:00+00:00",
    ]


@pytest.mark.parametrize("day", ["\u017fun", "fr\u0131day"])  # upper-case to SUN, FRIDAY
def test_weekly_folds_case_for_ascii_names_only(day: str) -> None:
    with pytest.raises(ValueError, match="unknown weekday"):
        presets.weekly(day, "08:30")


def test_weekly_on_one_day() -> None:
    assert fires(presets.weekly("FRI", "17:00"), 2) == [
        "2026-01-02T17:00:00+00:00",
        "2026-01-09T17:00:00+00:00",
    ]


def test_monthly_skips_months_without_the_day() -> None:
    expr = presets.monthly(31, "06:00")
    assert fires(expr, 3) == [
        "2026-01-31T06:00:00+00:00",
        "2026-03-31T06:00:00+00:00",
        "2026-05-31T06:00:00+00:00",
    ]
    assert expr.describe() == "At 06:00 on day 31 of the month"


def test_last_day_of_month_follows_the_calendar() -> None:
    expr = presets.last_day_of_month("23:00")
    assert fires(expr, 3) == [
        "2026-01-31T23:00:00+00:00",
        "2026-02-28T23:00:00+00:00",
        "2026-03-31T23:00:00+00:00",
    ]
    assert expr.describe() == "At 23:00 on the last day of the month"


def test_second_tuesday_of_the_month() -> None:
    expr = presets.nth_weekday_of_month(2, "TUE", "10:00")
    assert fires(expr, 3) == [
        "2026-01-13T10:00:00+00:00",
        "2026-02-10T10:00:00+00:00",
        "2026-03-10T10:00:00+00:00",
    ]
    assert expr.describe() == "At 10:00 on the second Tuesday of the month"


def test_last_friday_of_the_month() -> None:
    expr = presets.nth_weekday_of_month(-1, 5, "16:00")
    assert fires(expr, 2) == ["2026-01-30T16:00:00+00:00", "2026-02-27T16:00:00+00:00"]


def test_every_n_minutes() -> None:
    expr = presets.every_n_minutes(15)
    assert fires(expr, 5) == [
        "2026-01-01T00:15:00+00:00",
        "2026-01-01T00:30:00+00:00",
        "2026-01-01T00:45:00+00:00",
        "2026-01-01T01:00:00+00:00",
        "2026-01-01T01:15:00+00:00",
    ]
    assert expr.describe() == "Every 15 minutes"
    assert presets.every_n_minutes(1).describe() == "Every minute"


@pytest.mark.parametrize("minutes", presets.MINUTE_INTERVALS)
def test_every_n_minutes_keeps_an_even_gap_across_the_hour(minutes: int) -> None:
    at = [f.at for f in presets.every_n_minutes(minutes).preview(START, UTC, 200)]
    assert {b - a for a, b in itertools.pairwise(at)} == {timedelta(minutes=minutes)}


def test_every_n_hours_at_a_minute() -> None:
    expr = presets.every_n_hours(6, minute=30)
    assert fires(expr, 3) == [
        "2026-01-01T00:30:00+00:00",
        "2026-01-01T06:30:00+00:00",
        "2026-01-01T12:30:00+00:00",
    ]
    assert presets.every_n_hours(1).describe() == "Every hour"
    assert presets.every_n_hours(2).describe() == "Every 2 hours"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: presets.daily("24:00"), "at: expected a time of day as HH:MM"),
        (lambda: presets.daily("9am"), "at: expected a time of day as HH:MM"),
        (lambda: presets.daily(time(9, 0, 30)), "at: 09:00:30 is not on a whole minute"),
        (lambda: presets.daily(time(9, tzinfo=UTC)), "at: give a wall-clock time"),
        (lambda: presets.weekly([], "09:00"), "days: name at least one weekday"),
        (lambda: presets.weekly(["MON", "Funday"], "09:00"), "days: unknown weekday 'Funday'"),
        (lambda: presets.weekly(8, "09:00"), "days: 8 is out of range 0-7"),
        (lambda: presets.monthly(0, "09:00"), "day: 0 is out of range 1-31"),
        (lambda: presets.monthly(True, "09:00"), "day: expected a whole number"),
        (lambda: presets.nth_weekday_of_month(6, "TUE", "09:00"), "nth: 6 is out of range 1-5"),
        (lambda: presets.nth_weekday_of_month(2, "TUES", "09:00"), "weekday: unknown weekday"),
        (lambda: presets.every_n_minutes(0), "minutes: 0 is out of range 1-59"),
        (lambda: presets.every_n_minutes(60), "minutes: 60 is out of range 1-59"),
        (
            lambda: presets.every_n_minutes(7),
            "minutes: 7 does not divide 60, so the runs at :56 and :00 would be 4 minutes apart",
        ),
        (lambda: presets.every_n_hours(5), "hours: 5 does not divide 24"),
        (lambda: presets.every_n_hours(2, minute=60), "minute: 60 is out of range 0-59"),
    ],
)
def test_bad_arguments_are_named(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        build()


def test_registry_lists_every_preset_with_its_parameters() -> None:
    assert set(PRESETS) == {
        "daily",
        "weekdays",
        "weekly",
        "monthly",
        "last_day_of_month",
        "nth_weekday_of_month",
        "every_n_minutes",
        "every_n_hours",
    }
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert preset.summary
        assert preset.parameters == tuple(inspect.signature(preset.build).parameters)


def test_registry_builds_by_keyword() -> None:
    expr = PRESETS["weekly"].build(days=["MON", "THU"], at="08:30")
    assert isinstance(expr, cron.CronExpression)
    assert expr.describe() == "At 08:30 on Monday and Thursday"
