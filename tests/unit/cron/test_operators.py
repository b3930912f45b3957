"""Day operators, the Vixie day rule, leap years, years and expressions that never fire (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cronwright.cron import CronExpression


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def days(text: str, after: str, count: int) -> list[str]:
    """The dates of the next ``count`` fires after ``after`` (UTC)."""
    fires: list[str] = []
    for fire in CronExpression.parse(text).iter(at(after)):
        fires.append(fire.date().isoformat())
        if len(fires) == count:
            break
    return fires


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        # L: the last day; L-n: n days before it (February of a leap year has 29)
        ("0 0 L * *", "2024-01-15", ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]),
        ("0 0 L-1 * *", "2025-01-15", ["2025-01-30", "2025-02-27", "2025-03-30", "2025-04-29"]),
        ("0 0 L-30 * *", "2025-01-15", ["2025-03-01", "2025-05-01", "2025-07-01", "2025-08-01"]),
        # nW: the weekday nearest to day n, never leaving the month
        # 2025-02-01 is a Saturday: the nearest weekday in February is Monday the 3rd.
        ("0 0 1W * *", "2025-01-15", ["2025-02-03", "2025-03-03", "2025-04-01", "2025-05-01"]),
        # 2025-08-31 is a Sunday: Monday would leave the month, so Friday the 29th.
        ("0 0 31W * *", "2025-07-15", ["2025-07-31", "2025-08-29", "2025-10-31", "2025-12-31"]),
        # 2025-03-15 is a Saturday -> Friday 14th; 2025-06-15 a Sunday -> Monday 16th.
        ("0 0 15W * *", "2025-03-01", ["2025-03-14", "2025-04-15", "2025-05-15", "2025-06-16"]),
        # nW past the month's end matches nothing that month: 30W skips February.
        ("0 0 30W * *", "2025-01-15", ["2025-01-30", "2025-03-31", "2025-04-30", "2025-05-30"]),
        # LW: the last weekday; 2025-05-31 is a Saturday, 2025-08-31 a Sunday.
        ("0 0 LW * *", "2025-05-01", ["2025-05-30", "2025-06-30", "2025-07-31", "2025-08-29"]),
        # nL: the last such weekday; n#k the k-th one (5th Fridays are rare).
        ("0 0 * * 5L", "2025-01-01", ["2025-01-31", "2025-02-28", "2025-03-28", "2025-04-25"]),
        ("0 0 * * FRIL", "2025-01-01", ["2025-01-31", "2025-02-28", "2025-03-28", "2025-04-25"]),
        ("0 0 * * 0L", "2025-01-01", ["2025-01-26", "2025-02-23", "2025-03-30", "2025-04-27"]),
        ("0 0 * * 7L", "2025-01-01", ["2025-01-26", "2025-02-23", "2025-03-30", "2025-04-27"]),
        ("0 0 * * MON#2", "2025-01-01", ["2025-01-13", "2025-02-10", "2025-03-10", "2025-04-14"]),
        ("0 0 * * 5#5", "2025-01-01", ["2025-01-31", "2025-05-30", "2025-08-29", "2025-10-31"]),
        ("0 0 * * 7#1", "2025-01-01", ["2025-01-05", "2025-02-02", "2025-03-02", "2025-04-06"]),
        # a list mixing the forms
        ("0 0 1,L * *", "2025-01-15", ["2025-01-31", "2025-02-01", "2025-02-28", "2025-03-01"]),
        ("0 0 * * 1#1,5L", "2025-01-01", ["2025-01-06", "2025-01-31", "2025-02-03", "2025-02-28"]),
    ],
)
def test_day_operators(text: str, after: str, expected: list[str]) -> None:
    assert days(text, after, len(expected)) == expected


# -- the day rule (Vixie) ----------------------------------------------------------------------


def test_both_day_fields_restricted_fire_on_either() -> None:
    # The 1st of the month AND every Monday. 2025-09-01 is a Monday: one fire, not two.
    assert days("0 0 1 * MON", "2025-08-20", 5) == [
        "2025-08-25",
        "2025-09-01",
        "2025-09-08",
        "2025-09-15",
        "2025-09-22",
    ]
    assert days("0 0 1 * MON", "2025-09-22", 3) == ["2025-09-29", "2025-10-01", "2025-10-06"]


def test_a_day_field_starting_with_star_makes_both_required() -> None:
    # */2 is restricted in effect but starts with '*': odd days that are Mondays.
    assert days("0 0 */2 * MON", "2025-01-01", 4) == [
        "2025-01-13",
        "2025-01-27",
        "2025-02-03",
        "2025-02-17",
    ]
    assert days("0 0 1 * */7", "2025-01-01", 2) == ["2025-06-01", "2026-02-01"]  # Sundays


def test_question_mark_leaves_the_other_day_field_alone() -> None:
    assert days("0 0 ? * MON", "2025-01-01", 2) == ["2025-01-06", "2025-01-13"]
    assert days("0 0 13 * ?", "2025-01-01", 2) == ["2025-01-13", "2025-02-13"]


def test_special_day_items_join_the_either_rule() -> None:
    # The last day of the month or any Friday.
    assert days("0 0 L * FRI", "2025-01-20", 4) == [
        "2025-01-24",
        "2025-01-31",
        "2025-02-07",
        "2025-02-14",
    ]
    # The 15th or the last Friday.
    assert days("0 0 15 * 5L", "2025-02-01", 3) == ["2025-02-15", "2025-02-28", "2025-03-15"]


# -- calendars: leap years, month lengths, year boundaries -------------------------------------


def test_february_29th_waits_for_a_leap_year() -> None:
    expr = CronExpression.parse("0 0 29 2 *")
    assert expr.next(at("2025-01-01")) == at("2028-02-29")
    assert expr.next(at("2096-03-01")) == at("2104-02-29")  # 2100 is not a leap year
    assert expr.prev(at("2025-01-01")) == at("2024-02-29")
    assert expr.prev(at("2104-01-01")) == at("2096-02-29")
    assert expr.prev(at("2000-03-01")) == at("2000-02-29")  # 2000 is (divisible by 400)


def test_the_31st_skips_short_months() -> None:
    assert days("0 0 31 * *", "2025-01-31T00:00:00", 4) == [
        "2025-03-31",
        "2025-05-31",
        "2025-07-31",
        "2025-08-31",
    ]


def test_year_boundaries_forwards_and_backwards() -> None:
    expr = CronExpression.parse("59 23 31 12 *")
    assert expr.next(at("2025-12-31T23:59:00")) == at("2026-12-31T23:59:00")
    assert expr.prev(at("2026-01-01T00:00:00")) == at("2025-12-31T23:59:00")
    every = CronExpression.parse("* * * * * *")
    assert every.next(at("2025-12-31T23:59:59")) == at("2026-01-01T00:00:00")
    assert every.prev(at("2026-01-01T00:00:00")) == at("2025-12-31T23:59:59")


def test_next_is_strictly_after_and_prev_strictly_before() -> None:
    expr = CronExpression.parse("0 12 * * *")
    noon = at("2025-06-01T12:00:00")
    assert expr.next(noon) == at("2025-06-02T12:00:00")
    assert expr.prev(noon) == at("2025-05-31T12:00:00")
    assert expr.next(noon.replace(microsecond=1)) == at("2025-06-02T12:00:00")
    assert expr.prev(noon.replace(microsecond=1)) == noon
    assert expr.next(at("2025-06-01T11:59:59.999999")) == noon


# -- the year field ------------------------------------------------------------------------------


def test_a_year_list_stops_after_its_last_year() -> None:
    expr = CronExpression.parse("0 0 0 1 1 * 2030-2031")
    assert list(expr.iter(at("2025-01-01"))) == [at("2030-01-01"), at("2031-01-01")]
    assert expr.prev(at("2030-01-01")) is None
    assert expr.next(at("2031-01-01")) is None


def test_a_star_year_stops_after_2199_and_starts_at_1970() -> None:
    expr = CronExpression.parse("0 0 0 1 1 * *")
    assert expr.next(at("2198-06-01")) == at("2199-01-01")
    assert expr.next(at("2199-01-01")) is None
    assert expr.prev(at("1970-06-01")) == at("1970-01-01")
    assert expr.prev(at("1970-01-01")) is None
    assert CronExpression.parse("0 0 0 1 1 *").next(at("2199-01-01")) == at("2200-01-01")


def test_year_step() -> None:
    expr = CronExpression.parse("0 0 0 1 1 * 2000/25")
    assert list(expr.iter(at("2000-01-01"))) == [at("2025-01-01"), at("2050-01-01"),
        at("2075-01-01"), at("2100-01-01"), at("2125-01-01"), at("2150-01-01"),
        at("2175-01-01")]  # fmt: skip


# -- never -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0 0 30 2 *",
        "0 0 31 4,6,9,11 *",
        "0 0 L-29 2 *",
        "0 0 30W 2 *",
        "0 0 0 29 2 * 2101-2103",
        "0 0 0 1 1 * 1970",  # only in the past
    ],
)
def test_an_expression_that_never_fires_returns_none(text: str) -> None:
    expr = CronExpression.parse(text)
    after = at("2025-01-01")
    assert expr.next(after) is None
    assert expr.next(after, "America/New_York") is None
    assert list(expr.iter(after, "Europe/Berlin")) == []
    assert expr.preview(after, "UTC") == []
    if "1970" not in text:
        assert expr.prev(after) is None
        assert expr.prev(after, "Pacific/Chatham") is None


def test_a_rare_match_is_found_years_ahead() -> None:
    # The fifth Monday of February: only when February 1st is a Monday in a leap year.
    assert days("0 0 ? 2 MON#5", "2025-01-01", 2) == ["2044-02-29", "2072-02-29"]
