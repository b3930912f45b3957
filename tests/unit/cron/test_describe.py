"""``describe``: one plain-English sentence per expression, for every form of our dialect."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright.cron import CronExpression
from cronwright.cron.describe import describe
from cronwright.cron.parser import parse


def said(text: str, hash_key: str | None = None) -> str:
    return CronExpression.parse(text, hash_key=hash_key).describe()


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        # the three sentences the API documents
        ("0 9 * * MON-FRI", "At 09:00, Monday through Friday"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("0 0 L * *", "At 00:00 on the last day of the month"),
        # fixed times, lists of times
        ("30 9 * * *", "At 09:30"),
        ("0 0,12 * * *", "At 00:00 and 12:00"),
        ("0,30 9,18 * * *", "At 09:00, 09:30, 18:00 and 18:30"),
        ("0 */5 * * *", "At 00:00, 05:00, 10:00, 15:00 and 20:00"),
    ],
)
def test_times_of_day(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("* * * * *", "Every minute"),
        ("*/15 9-17 * * *", "Every 15 minutes, between 09:00 and 17:59"),
        ("0-59/10 * * * *", "Every 10 minutes"),
        ("5/15 * * * *", "Every 15 minutes, starting at 5 minutes past the hour"),
        ("0-30/10 * * * *", "Every 10 minutes from 0 through 30 past the hour"),
        ("0-29 * * * *", "Every minute from 0 through 29 past the hour"),
        ("30 * * * *", "At 30 minutes past the hour"),
        ("1 * * * *", "At 1 minute past the hour"),
        ("0,15,30,45 * * * *", "At 0, 15, 30 and 45 minutes past the hour"),
        ("0,10-20,30 * * * *", "At 0, 10 through 20 and 30 minutes past the hour"),
        # */45 fires at :00 and :45, 15 minutes apart across the hour: not "every 45 minutes"
        ("*/45 * * * *", "At 0 and 45 minutes past the hour"),
        ("20/15 * * * *", "At 20, 35 and 50 minutes past the hour"),
        ("*/5 9,17 * * *", "Every 5 minutes, between 09:00 and 09:59 and between 17:00 and 17:59"),
        ("* 9 * * *", "Every minute, between 09:00 and 09:59"),
    ],
)
def test_minutes(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("0 * * * *", "Every hour"),
        ("0 */2 * * *", "Every 2 hours"),
        ("0 1-23/2 * * *", "Every 2 hours, starting at 01:00"),
        ("0 9-17/2 * * *", "Every 2 hours, between 09:00 and 17:59"),
        ("0 9-17 * * *", "Every hour, between 09:00 and 17:59"),
        ("30 */2 * * *", "At 30 minutes past the hour, every 2 hours"),
    ],
)
def test_hours(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("* * * * * *", "Every second"),
        ("0 * * * * *", "Every minute"),
        ("*/10 * * * * *", "Every 10 seconds"),
        ("30 * * * * *", "At 30 seconds past the minute"),
        ("0 0 9 * * *", "At 09:00"),
        ("30 0 9 * * *", "At 09:00:30"),
        ("0,30 0 9 * * *", "At 09:00:00 and 09:00:30"),
        ("*/15 0 9 * * *", "Every 15 seconds, between 09:00:00 and 09:00:59"),
        (
            "*/20 * 9-17 * * MON-FRI",
            "Every 20 seconds, between 09:00 and 17:59, Monday through Friday",
        ),
        ("15 30 * * * *", "At 15 seconds past the minute, at 30 minutes past the hour"),
    ],
)
def test_seconds(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("0 0 1 * *", "At 00:00 on day 1 of the month"),
        ("0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month"),
        ("0 0 1-7 * *", "At 00:00 on days 1 through 7 of the month"),
        ("0 0 1,10-15,20 * *", "At 00:00 on days 1, 10 through 15 and 20 of the month"),
        ("0 0 */2 * *", "At 00:00, every 2 days"),
        ("0 0 2/5 * *", "At 00:00, every 5 days, starting on day 2 of the month"),
        ("0 0 1-15/2 * *", "At 00:00, every 2 days from day 1 through 15 of the month"),
        ("0 0 L-3 * *", "At 00:00, 3 days before the last day of the month"),
        ("0 0 L-1 * *", "At 00:00, 1 day before the last day of the month"),
        ("0 0 15W * *", "At 00:00 on the weekday nearest day 15 of the month"),
        ("0 0 LW * *", "At 00:00 on the last weekday of the month"),
        ("0 0 L,15 * *", "At 00:00 on day 15 of the month and on the last day of the month"),
        ("15 10 L * ?", "At 10:15 on the last day of the month"),
        ("0 0 1-31 * *", "At 00:00"),
    ],
)
def test_days_of_month(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("0 0 * * MON", "At 00:00 on Monday"),
        ("0 0 * * 0", "At 00:00 on Sunday"),
        ("0 0 * * 7", "At 00:00 on Sunday"),
        ("0 0 * * sun,SAT", "At 00:00 on Saturday and Sunday"),
        ("0 0 * * 5-7", "At 00:00, Friday through Sunday"),
        ("0 0 * * MON,WED,FRI", "At 00:00 on Monday, Wednesday and Friday"),
        ("0 0 * * MON-WED,FRI", "At 00:00 on Monday through Wednesday and Friday"),
        ("0 0 * * 0-6", "At 00:00"),
        ("0 0 ? * MON", "At 00:00 on Monday"),
        ("0 0 * * 5L", "At 00:00 on the last Friday of the month"),
        ("0 0 * * FRIL", "At 00:00 on the last Friday of the month"),
        ("0 0 * * 1#2", "At 00:00 on the second Monday of the month"),
        ("0 0 * * 7#1", "At 00:00 on the first Sunday of the month"),
        (
            "0 0 * * MON-FRI,5L",
            "At 00:00, Monday through Friday and on the last Friday of the month",
        ),
    ],
)
def test_days_of_week(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        # Vixie: both day fields restricted, so a day matches either
        ("0 0 1 * MON", "At 00:00 on day 1 of the month or on Monday"),
        (
            "0 0 1,15 * MON-FRI",
            "At 00:00 on days 1 and 15 of the month or on Monday through Friday",
        ),
        (
            "0 0 L * 5L",
            "At 00:00 on the last day of the month or on the last Friday of the month",
        ),
        (
            "0 0 L-2 * 1#1",
            "At 00:00, 2 days before the last day of the month or on the first Monday of the month",
        ),
        # either side allowing every day makes the "or" cover every day
        ("0 0 1-31 * MON", "At 00:00"),
        ("0 0 1 * 0-7", "At 00:00"),
        # a field starting with * is not restricted: a day must match both
        ("0 0 */2 * MON", "At 00:00, every 2 days and on Monday"),
        (
            "0 0 1-7 * */2",
            "At 00:00 on days 1 through 7 of the month and on Tuesday, Thursday, Saturday and "
            "Sunday",
        ),
    ],
)
def test_day_rule(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("0 0 1 JAN *", "At 00:00 on day 1 of the month in January"),
        ("0 0 1 1,7 *", "At 00:00 on day 1 of the month in January and July"),
        ("0 0 * JAN-MAR *", "At 00:00, January through March"),
        ("0 0 1 */3 *", "At 00:00 on day 1 of the month in January, April, July and October"),
        ("0 0 12 * * * 2027", "At 12:00 in 2027"),
        ("0 0 12 * * * 2026-2030", "At 12:00, 2026 through 2030"),
        ("0 0 12 * * * 2026,2028", "At 12:00 in 2026 and 2028"),
        ("0 0 12 * * * 2026-2036/2", "At 12:00, every 2 years from 2026 through 2036"),
        ("0 0 12 * * * 2030/5", "At 12:00, every 5 years from 2030"),
        ("0 0 12 * * * *", "At 12:00"),
        ("0 0 0 1 1 * 2027", "At 00:00 on day 1 of the month in January in 2027"),
    ],
)
def test_months_and_years(text: str, sentence: str) -> None:
    assert said(text) == sentence


@pytest.mark.parametrize(
    ("macro", "same_as"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_macros_read_like_their_expansion(macro: str, same_as: str) -> None:
    assert said(macro) == said(same_as)
    assert said(macro.upper()) == said(same_as)


def test_daily_and_hourly_macros() -> None:
    assert said("@daily") == "At 00:00"
    assert said("@hourly") == "Every hour"
    assert said("@weekly") == "At 00:00 on Sunday"


def test_hashed_fields_describe_their_resolved_values() -> None:
    expr = CronExpression.parse("H H * * *", hash_key="job-42")
    minute = expr.parsed.minute.items[0]
    hour = expr.parsed.hour.items[0]
    assert expr.describe() == f"At {hour[0]:02d}:{minute[0]:02d}"
    # The same key gives the same sentence; the sentence names the times, not "H".
    assert said("H H * * *", "job-42") == expr.describe()
    assert "H" not in said("H/15 H(9-17) * * *", "job-42").replace("Hour", "")


def test_hashed_step_reads_as_every_n_starting_at_its_offset() -> None:
    expr = CronExpression.parse("H/15 * * * *", hash_key="job-42")
    start = expr.parsed.minute.items[0][0]
    expected = (
        "Every 15 minutes"
        if start == 0
        else (
            f"Every 15 minutes, starting at {start} minute{'s' if start != 1 else ''} past the hour"
        )
    )
    assert expr.describe() == expected


def test_describe_takes_the_parsed_tree() -> None:
    assert describe(parse("0 9 * * MON-FRI")) == "At 09:00, Monday through Friday"


# -- never raises ----------------------------------------------------------------------------------


def _number(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(str)


def _plain(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """``*``, ``n``, ``a-b``, ``*/s``, ``a-b/s``, ``a/s`` and lists of them, always valid."""

    def value(v: int) -> str:
        return names[v - low] if names and v - low < len(names) else str(v)

    single = st.integers(low, high).map(value)
    ranged = st.tuples(st.integers(low, high), st.integers(low, high)).map(
        lambda ab: f"{value(min(ab))}-{value(max(ab))}"
    )
    step = st.integers(1, high - low + 1)
    item = st.one_of(
        single,
        ranged,
        step.map(lambda s: f"*/{s}"),
        st.tuples(ranged, step).map(lambda t: f"{t[0]}/{t[1]}"),
        st.tuples(single, step).map(lambda t: f"{t[0]}/{t[1]}"),
    )
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=4).map(",".join))


_hashed = st.sampled_from(["H", "H/5", "H(0-29)", "H(10-20)/3"])
_seconds = st.one_of(_plain(0, 59), _hashed)
_minutes = st.one_of(_plain(0, 59), _hashed)
_hours = st.one_of(_plain(0, 23), st.sampled_from(["H", "H/6", "H(9-17)"]))
_day_specials = st.one_of(
    st.just("L"),
    st.just("LW"),
    st.integers(0, 30).map(lambda n: f"L-{n}"),
    st.integers(1, 31).map(lambda n: f"{n}W"),
)
_days_of_month = st.one_of(
    _plain(1, 31),
    st.just("?"),
    st.just("H"),
    st.lists(st.one_of(_day_specials, _number(1, 31)), min_size=1, max_size=3).map(",".join),
)
_weekday = st.one_of(
    _number(0, 7), st.sampled_from(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
)
_weekday_specials = st.one_of(
    _weekday.map(lambda d: f"{d}L"),
    st.tuples(_weekday, st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
)
_days_of_week = st.one_of(
    _plain(0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
    st.just("?"),
    st.lists(st.one_of(_weekday_specials, _weekday), min_size=1, max_size=3).map(",".join),
)
_months = _plain(
    1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
)
_years = _plain(1970, 2199)

_five = st.tuples(_minutes, _hours, _days_of_month, _months, _days_of_week).map(" ".join)
_six = st.tuples(_seconds, _five).map(" ".join)
_seven = st.tuples(_six, _years).map(" ".join)
_macros = st.sampled_from(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"])


@given(text=st.one_of(_five, _six, _seven, _macros), hash_key=st.one_of(st.none(), st.text()))
def test_any_valid_expression_has_a_sentence(text: str, hash_key: str | None) -> None:
    expr = CronExpression.parse(text, hash_key=hash_key)  # the strategies only build valid text
    sentence = expr.describe()
    assert sentence
    assert sentence[0].isupper()
    assert "  " not in sentence
    assert not sentence.endswith((",", " "))
