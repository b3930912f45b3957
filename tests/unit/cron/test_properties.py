"""Properties of next/prev/iter on generated expressions, instants and zones (hypothesis).

The reference is ``cron_oracle``: a field-by-field matcher on the syntax tree and a walk over
every minute (or second) of UTC that applies the DST policy to what it sees.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.cron import cron_oracle

from cronwright.cron import CronExpression, DstFold, DstGap, DstMark

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "Asia/Kolkata",
]
# Instants near 2025's transitions in those zones, so that walks often cross one.
TRANSITIONS = [
    datetime(2025, 3, 9, 7, tzinfo=UTC),
    datetime(2025, 11, 2, 6, tzinfo=UTC),
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2025, 4, 5, 16, tzinfo=UTC),
    datetime(2025, 10, 4, 16, tzinfo=UTC),
    datetime(2025, 4, 5, 15, tzinfo=UTC),
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
    datetime(2025, 4, 6, 3, tzinfo=UTC),
    datetime(2025, 9, 7, 4, tzinfo=UTC),
    datetime(2025, 4, 5, 14, tzinfo=UTC),
    datetime(2025, 9, 27, 14, tzinfo=UTC),
]


def _items(low: int, high: int, extra: list[str]) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    single = value.map(str)
    span = st.tuples(value, value).map(lambda p: f"{min(p)}-{max(p)}")
    step = st.integers(1, high - low + 1)
    stepped = st.tuples(span, step).map(lambda p: f"{p[0]}/{p[1]}")
    open_ended = st.tuples(value, step).map(lambda p: f"{p[0]}/{p[1]}")
    return st.one_of(single, span, stepped, open_ended, st.sampled_from(extra))


def _field(low: int, high: int, extra: list[str] = ()) -> st.SearchStrategy[str]:  # type: ignore[assignment]
    starred = st.one_of(st.just("*"), st.integers(1, high - low + 1).map(lambda s: f"*/{s}"))
    listed = st.lists(_items(low, high, [*extra] or [str(low)]), min_size=1, max_size=3)
    return starred | listed.map(",".join)


# Minute and hour stay small-ish so that brute-force walks find fires within hours.
MINUTES = st.sampled_from(["0", "30", "*/15", "*/20", "0,45", "10-40/15", "*", "59"])
HOURS = _field(0, 23)
DAYS = _field(1, 31, ["L", "L-3", "15W", "1W", "LW", "?"])
MONTHS = _field(1, 12, ["JAN", "mar-JUN"])
WEEKDAYS = _field(0, 7, ["MON", "5L", "1#2", "SUN#5", "?", "sat-sun".upper()[:3]])

FIVE_FIELDS = st.tuples(MINUTES, HOURS, DAYS, MONTHS, WEEKDAYS).map(" ".join)
SIX_FIELDS = st.tuples(st.sampled_from(["0", "*/20", "15,45"]), FIVE_FIELDS).map(" ".join)


def _parses(text: str) -> bool:
    try:
        CronExpression.parse(text)
    except ValueError:
        return False
    return True


EXPRESSIONS = FIVE_FIELDS.filter(_parses)  # '?' in both day fields is the only invalid case
INSTANTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)
NEAR_TRANSITIONS = st.builds(
    lambda t, minutes: t + timedelta(minutes=minutes),
    st.sampled_from(TRANSITIONS),
    st.integers(-26 * 60, 2 * 60),
)
ZONE = st.sampled_from(ZONES).map(ZoneInfo)
GAPS = st.sampled_from(list(DstGap))
FOLDS = st.sampled_from(list(DstFold))


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS, INSTANTS | NEAR_TRANSITIONS, ZONE, GAPS, FOLDS)
def test_next_and_prev_are_strict_and_inverse(
    text: str, moment: datetime, zone: tzinfo, gap: DstGap, fold: DstFold
) -> None:
    expr = CronExpression.parse(text)
    policy = {"dst_gap": gap, "dst_fold": fold}
    following = expr.next(moment, zone, **policy)  # type: ignore[arg-type]
    preceding = expr.prev(moment, zone, **policy)  # type: ignore[arg-type]
    if following is not None:
        assert following > moment
        assert following.tzinfo is UTC
        back = expr.prev(following, zone, **policy)  # type: ignore[arg-type]
        assert back is None or back <= moment
        assert back in (moment, preceding)  # moment itself may be a fire time
    if preceding is not None:
        assert preceding < moment
        forward = expr.next(preceding, zone, **policy)  # type: ignore[arg-type]
        assert forward is not None
        assert forward >= moment
        assert forward in (moment, following)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS | SIX_FIELDS.filter(_parses), INSTANTS | NEAR_TRANSITIONS, ZONE)
def test_fire_times_match_the_fields_in_local_time_unless_shifted(
    text: str, moment: datetime, zone: tzinfo
) -> None:
    expr = CronExpression.parse(text)
    for fire in expr.preview(moment, zone, 5):
        wall = fire.local.replace(tzinfo=None)
        if fire.mark is DstMark.SHIFTED:
            # the first instant after a gap; some earlier wall time in the gap matched
            assert not cron_oracle.matches(expr, wall) or expr.is_fixed_time
        else:
            assert cron_oracle.matches(expr, wall), (text, fire)
            assert expr.matcher.matches(*cron_oracle_wall(wall))


def cron_oracle_wall(wall: datetime) -> tuple[int, int, int, int, int, int]:
    return wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second


@settings(max_examples=120, deadline=None)
@given(EXPRESSIONS, NEAR_TRANSITIONS, ZONE, GAPS, FOLDS)
def test_no_fire_time_is_skipped_or_invented_near_transitions(
    text: str, start: datetime, zone: tzinfo, gap: DstGap, fold: DstFold
) -> None:
    expr = CronExpression.parse(text)
    end = start + timedelta(hours=30)
    expected = cron_oracle.fire_times(
        expr, start, end, zone, step=timedelta(minutes=1), dst_gap=gap, dst_fold=fold
    )
    got = list(
        itertools.takewhile(
            lambda at: at <= end, expr.iter(start, zone, dst_gap=gap, dst_fold=fold)
        )
    )
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(SIX_FIELDS.filter(_parses), NEAR_TRANSITIONS, ZONE)
def test_no_fire_time_is_skipped_with_seconds(text: str, start: datetime, zone: tzinfo) -> None:
    expr = CronExpression.parse(text)
    end = start + timedelta(hours=3)
    expected = cron_oracle.fire_times(expr, start, end, zone, step=timedelta(seconds=1))
    got = list(itertools.takewhile(lambda at: at <= end, expr.iter(start, zone)))
    assert got == expected


DAY_EXPRESSIONS = st.tuples(DAYS, MONTHS, WEEKDAYS).map(lambda f: "0 12 " + " ".join(f))


@settings(max_examples=150, deadline=None)
@given(DAY_EXPRESSIONS.filter(_parses), INSTANTS)
def test_iter_matches_a_day_by_day_walk_in_utc(text: str, start: datetime) -> None:
    # Over 400 days in UTC, the days part (L, W, #, the day rule) against the oracle.
    expr = CronExpression.parse(text)
    first = start.replace(hour=12, minute=0, second=0, microsecond=0)
    if first <= start:
        first += timedelta(days=1)
    days = (first + timedelta(days=n) for n in range(400))
    expected = [at for at in days if cron_oracle.matches(expr, at.replace(tzinfo=None))]
    end = first + timedelta(days=399)
    assert list(itertools.takewhile(lambda at: at <= end, expr.iter(start))) == expected


ANY_ZONE = st.sampled_from(
    [UTC, ZoneInfo("UTC"), timezone(timedelta(hours=-5)), timezone(timedelta(hours=14)),
     ZoneInfo("America/New_York"), ZoneInfo("Pacific/Chatham"), ZoneInfo("Pacific/Kiritimati")]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["* * * * *", "0 0 1 1 *", "0 0 0 1 1 * *", "30 2 * * *", "0 0 L * *"]),
    st.datetimes(timezones=ANY_ZONE),
    ANY_ZONE,
)
def test_any_aware_datetime_and_zone_give_an_answer_or_none(
    text: str, moment: datetime, zone: tzinfo
) -> None:
    # Regression: fixed-offset zones raised OverflowError at year 1 and year 9999.
    expr = CronExpression.parse(text)
    following, preceding = expr.next(moment, zone), expr.prev(moment, zone)
    assert following is None or following > moment
    assert preceding is None or preceding < moment
    expr.preview(moment, zone, 2)


def test_the_edges_of_datetime_give_none() -> None:
    every = CronExpression.parse("* * * * *")
    assert every.prev(datetime.min.replace(tzinfo=UTC)) is None
    assert every.prev(datetime.min.replace(tzinfo=UTC), timezone(timedelta(hours=14))) is None
    assert every.next(datetime.max.replace(tzinfo=UTC)) is None
    assert every.next(datetime.max.replace(tzinfo=UTC), timezone(timedelta(hours=-5))) is None
    assert every.next(datetime.max.replace(tzinfo=UTC), "Pacific/Chatham") is None


def test_a_naive_datetime_is_refused() -> None:
    expr = CronExpression.parse("* * * * *")
    naive = datetime(2025, 1, 1)
    for method in (expr.next, expr.prev, expr.iter, expr.preview):
        with pytest.raises(ValueError, match="timezone-aware"):
            method(naive)
