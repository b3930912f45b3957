"""Differential tests against cronsim (Debian cron semantics) and croniter.

Generated expressions stay inside the dialect the libraries share. Every known disagreement is
pinned below by an example that asserts our answer and records the peer's answer with the peer
version it was seen in (and is listed in docs/cron.md). A peer that changes its answer is reported
as a warning in the test summary, never as a failure: a peer's release must not break our build.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import metadata
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from croniter.croniter import CroniterBadDateError
from cronsim import CronSim, CronSimError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cronwright.cron import CronExpression


class PeerChangedItsAnswer(UserWarning):
    """A peer library no longer gives the answer recorded for a known disagreement."""


def peer_version(distribution: str) -> str:
    return metadata.version(distribution)


def record_disagreement(
    peer: str, seen_in: str, recorded: object, observe: Callable[[], object]
) -> None:
    """Compares the peer's answer today with the one recorded in version `seen_in`.

    Our own answer is asserted by the caller; this only reports a peer that moved.
    """
    try:
        answer: object = observe()
    except Exception as error:  # a peer may start refusing what it used to read
        answer = f"{type(error).__name__}: {error}"
    if answer != recorded:
        warnings.warn(
            f"{peer} {peer_version(peer)} answers {answer!r}; {peer} {seen_in} answered "
            f"{recorded!r}. Review the disagreement and docs/cron.md.",
            PeerChangedItsAnswer,
            stacklevel=2,
        )


def _items(low: int, high: int, extra: list[str]) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    span = st.tuples(value, value).filter(lambda p: p[0] != p[1]).map(sorted)
    step = st.integers(1, high - low + 1)
    return st.one_of(
        value.map(str),
        span.map(lambda p: f"{p[0]}-{p[1]}"),
        st.tuples(span, step).map(lambda p: f"{p[0][0]}-{p[0][1]}/{p[1]}"),
        st.tuples(value, step).map(lambda p: f"{p[0]}/{p[1]}"),
        st.sampled_from(extra or [str(low)]),
    )


def _field(
    low: int, high: int, extra: list[str] | None = None, *, starred_step: bool = True
) -> st.SearchStrategy[str]:
    listed = st.lists(_items(low, high, extra or []), min_size=1, max_size=3).map(",".join)
    starred = st.just("*")
    if starred_step:
        starred |= st.integers(1, high - low + 1).map(lambda s: f"*/{s}")
    return starred | listed


# cronsim's dialect: no '?', no 'L-n'/'nW'.
CRONSIM_EXPRESSIONS = st.tuples(
    _field(0, 59),
    _field(0, 23),
    _field(1, 31, ["L", "LW", "15"]),
    _field(1, 12, ["JAN", "MAR-JUN"]),
    _field(0, 7, ["MON", "5L", "1#2", "SUN-TUE"]),
).map(" ".join)

# croniter's: also no L/W/#, day fields '*' or not starting with '*', no day-of-week a/s.
_CRONITER_WEEKDAYS = st.one_of(
    st.just("*"),
    st.lists(
        st.one_of(
            st.integers(0, 7).map(str),
            st.tuples(st.integers(0, 6), st.integers(1, 7))
            .filter(lambda p: p[0] < p[1])
            .map(lambda p: f"{p[0]}-{p[1]}"),
            st.sampled_from(["MON", "FRI", "SUN-TUE"]),
        ),
        min_size=1,
        max_size=3,
    ).map(",".join),
)
CRONITER_EXPRESSIONS = st.tuples(
    _field(0, 59),
    _field(0, 23),
    _field(1, 31, starred_step=False).filter(lambda f: f == "*" or not f.startswith("*")),
    _field(1, 12, ["JAN", "MAR-JUN"]),
    _CRONITER_WEEKDAYS,
).map(" ".join)

INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


def ours(text: str, start: datetime, count: int, zone: ZoneInfo | None = None) -> list[datetime]:
    tz = zone or UTC
    fires = itertools.islice(CronExpression.parse(text).iter(start, tz), count)
    return [at.astimezone(tz) for at in fires]


def cronsim_says(text: str, start: datetime, count: int) -> list[datetime] | None:
    try:
        return list(itertools.islice(CronSim(text, start), count))
    except CronSimError:
        return None


@settings(max_examples=300, deadline=None)
@given(CRONSIM_EXPRESSIONS, INSTANTS)
def test_agrees_with_cronsim_in_utc(text: str, start: datetime) -> None:
    expected = cronsim_says(text, start, 6)
    if expected is None:  # cronsim refuses dates no month has (0 0 30 2 *); we return nothing
        assert ours(text, start, 1) == []
        return
    assert ours(text, start, 6) == expected


@settings(max_examples=300, deadline=None)
@given(CRONITER_EXPRESSIONS, INSTANTS)
def test_agrees_with_croniter_in_utc(text: str, start: datetime) -> None:
    it = croniter(text, start)
    try:
        expected = [it.get_next(datetime) for _ in range(6)]
    except CroniterBadDateError:  # croniter gives up on dates no month has (* * 30 2 *)
        assert ours(text, start, 1) == []
        return
    assert ours(text, start, 6) == expected


# Zones whose transitions move the clock by a whole hour; see the pinned Lord Howe example for
# the others. Each instant is a 2025 transition in that zone.
WHOLE_HOUR_TRANSITIONS = [
    ("America/New_York", datetime(2025, 3, 9, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2025, 11, 2, 6, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2025, 3, 30, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2025, 10, 26, 1, tzinfo=UTC)),
    ("Europe/London", datetime(2025, 3, 30, 1, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2025, 4, 5, 16, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2025, 10, 4, 16, tzinfo=UTC)),
    ("America/Santiago", datetime(2025, 4, 6, 3, tzinfo=UTC)),
    ("America/Santiago", datetime(2025, 9, 7, 4, tzinfo=UTC)),
]
DST_MINUTES = st.sampled_from(["0", "30", "15,45", "*/15", "*/20", "*", "5-10"])
DST_HOURS = st.sampled_from(["0", "1", "2", "3", "23", "1-3", "0-2", "2,3", "*", "*/2", "22-23"])


@settings(max_examples=150, deadline=None)
@given(
    DST_MINUTES,
    DST_HOURS,
    st.sampled_from(WHOLE_HOUR_TRANSITIONS),
    st.integers(-3 * 60, 60),
)
def test_agrees_with_cronsim_across_whole_hour_dst_transitions(
    minute: str, hour: str, transition: tuple[str, datetime], offset_minutes: int
) -> None:
    name, instant = transition
    zone = ZoneInfo(name)
    text = f"{minute} {hour} * * *"
    start = (instant + timedelta(minutes=offset_minutes)).astimezone(zone)
    # cronsim started in a fold's second occurrence returns times before its start (pinned
    # below); an instant in a fold's second occurrence reads fold=1.
    assume(not (start.fold and CronExpression.parse(text).is_fixed_time))
    end = instant + timedelta(hours=3)
    theirs = itertools.takewhile(lambda at: at <= end, itertools.islice(CronSim(text, start), 1000))
    mine = itertools.takewhile(lambda at: at <= end, CronExpression.parse(text).iter(start, zone))
    assert [at.astimezone(zone).isoformat() for at in mine] == [at.isoformat() for at in theirs]


# -- pinned disagreements (docs/cron.md, "Differences") -------------------------------------------
# Each test asserts what we do; record_disagreement compares the peer with what it was seen to do.

NEW_YORK = ZoneInfo("America/New_York")


def iso(values: list[datetime], zone: ZoneInfo | None = None) -> list[str]:
    return [v.astimezone(zone).isoformat() if zone else v.isoformat() for v in values]


def cronsim_accepts(text: str) -> bool:
    return cronsim_says(text, datetime(2025, 1, 1, tzinfo=UTC), 1) is not None


def cronsim_iso(text: str, start: datetime, count: int) -> list[str]:
    return iso(list(itertools.islice(CronSim(text, start), count)))


def croniter_get(
    text: str, start: datetime, count: int, form: Callable[[datetime], str]
) -> list[str]:
    it = croniter(text, start)
    return [form(it.get_next(datetime)) for _ in range(count)]


def test_a_single_value_range_with_a_step_is_that_value_only() -> None:
    # cronsim up to 2.8 read 1-1/22 as 1/22 (hours 1 and 23); 2.9 agrees with us, so the
    # generated expressions above include such ranges.
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert iso(ours("0 1-1/22 * * *", start, 2)) == [
        "2025-01-01T01:00:00+00:00",
        "2025-01-02T01:00:00+00:00",
    ]


def test_a_day_no_month_has_parses_and_never_fires() -> None:
    assert CronExpression.parse("0 0 30 2 *").next(datetime(2025, 1, 1, tzinfo=UTC)) is None
    record_disagreement(
        "cronsim",
        "2.9",
        None,
        lambda: cronsim_says("0 0 30 2 *", datetime(2025, 1, 1, tzinfo=UTC), 1),
    )


def test_six_field_expressions_shift_out_of_a_gap_like_five_field_ones() -> None:
    # New York 2025-03-09: 01:59:59-05:00 -> 03:00:00-04:00. cronsim applies Debian cron's
    # DST handling to 5-field expressions only; we treat a fixed time the same in every form.
    start = datetime(2025, 3, 8, 12, tzinfo=NEW_YORK)
    assert iso(ours("0 30 2 * * *", start, 1, NEW_YORK), NEW_YORK) == ["2025-03-09T03:00:00-04:00"]
    record_disagreement(
        "cronsim",
        "2.9",
        ["2025-03-10T02:30:00-04:00"],
        lambda: cronsim_iso("0 30 2 * * *", start, 1),
    )


def test_every_existing_wall_time_after_a_half_hour_transition_fires() -> None:
    # Lord Howe 2025-10-05: 01:59:59+10:30 -> 02:30:00+11:00; 02:30+11:00 exists and matches.
    zone = ZoneInfo("Australia/Lord_Howe")
    start = datetime(2025, 10, 5, 1, 0, tzinfo=zone)
    assert iso(ours("30 * * * *", start, 2, zone), zone) == [
        "2025-10-05T01:30:00+10:30",
        "2025-10-05T02:30:00+11:00",
    ]
    record_disagreement(
        "cronsim",
        "2.9",
        ["2025-10-05T01:30:00+10:30", "2025-10-05T03:30:00+11:00"],
        lambda: cronsim_iso("30 * * * *", start, 2),
    )


def test_a_start_in_a_folds_second_occurrence_never_returns_an_earlier_time() -> None:
    # New York 2025-11-02: 01:59:59-04:00 -> 01:00:00-05:00. From 01:00-05:00 (06:00Z), the
    # 01:30 first occurrence (05:30Z) has passed; we go to the next day, cronsim goes back.
    start = datetime(2025, 11, 2, 1, 0, fold=1, tzinfo=NEW_YORK)
    assert iso(ours("30 1 * * *", start, 1, NEW_YORK), NEW_YORK) == ["2025-11-03T01:30:00-05:00"]
    record_disagreement(
        "cronsim", "2.9", ["2025-11-02T01:30:00-04:00"], lambda: cronsim_iso("30 1 * * *", start, 1)
    )


def test_day_fields_starting_with_a_star_step_must_both_match() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    # Vixie: */2 starts with '*', so both must match: odd days that are Mondays.
    assert [d.strftime("%a %d") for d in ours("0 0 */2 * MON", start, 2)] == ["Mon 13", "Mon 27"]
    record_disagreement(
        "croniter",
        "7.0",
        ["Fri 03", "Sun 05"],
        lambda: croniter_get("0 0 */2 * MON", start, 2, lambda d: d.strftime("%a %d")),
    )


def test_a_day_of_week_step_runs_to_sunday_as_seven() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    # Vixie: 1/6 is 1-7/6, Monday and Sunday (7); croniter stops at 6: Mondays only.
    assert [d.strftime("%a") for d in ours("0 0 * * 1/6", start, 2)] == ["Sun", "Mon"]
    record_disagreement(
        "croniter",
        "7.0",
        ["Mon", "Mon"],
        lambda: croniter_get("0 0 * * 1/6", start, 2, lambda d: d.strftime("%a")),
    )


def test_a_fixed_time_in_a_fold_fires_at_its_first_occurrence_only() -> None:
    # New York 2025-11-02: 01:59:59-04:00 -> 01:00:00-05:00; 01:30 happens twice.
    start = datetime(2025, 11, 1, 12, tzinfo=NEW_YORK)
    assert iso(ours("30 1 * * *", start, 2, NEW_YORK), NEW_YORK) == [
        "2025-11-02T01:30:00-04:00",
        "2025-11-03T01:30:00-05:00",
    ]
    record_disagreement(
        "croniter",
        "7.0",
        ["2025-11-02T01:30:00-04:00", "2025-11-02T01:30:00-05:00"],
        lambda: croniter_get("30 1 * * *", start, 2, lambda d: d.isoformat()),
    )


@pytest.mark.parametrize("text", ["0 0 15W * *", "0 0 L-2 * *", "0 0 ? * MON"])
def test_we_accept_forms_cronsim_does_not(text: str) -> None:
    CronExpression.parse(text)
    record_disagreement("cronsim", "2.9", False, lambda: cronsim_accepts(text))


def test_a_peer_that_changes_its_answer_is_reported_not_failed() -> None:
    with pytest.warns(PeerChangedItsAnswer, match="cronsim .* answers 'new'; cronsim 1.0 answered"):
        record_disagreement("cronsim", "1.0", "old", lambda: "new")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record_disagreement("cronsim", "1.0", "same", lambda: "same")
