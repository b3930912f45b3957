"""What the dialect accepts (DESIGN §3): forms, macros, names, wildcards and hashed fields."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from cronwright.cron import CronExpression
from cronwright.cron.syntax_tree import Span

T0 = datetime(2025, 1, 1, tzinfo=UTC)  # a Wednesday


def firsts(text: str, count: int = 3, *, after: datetime = T0) -> list[str]:
    expr = CronExpression.parse(text)
    fires: list[str] = []
    for at in expr.iter(after):
        fires.append(at.isoformat())
        if len(fires) == count:
            break
    return fires


def test_five_fields_fire_on_the_minute() -> None:
    assert firsts("30 9 * * *", 2) == ["2025-01-01T09:30:00+00:00", "2025-01-02T09:30:00+00:00"]


def test_six_fields_start_with_seconds() -> None:
    assert firsts("15,45 0 0 * * *", 3) == [
        "2025-01-01T00:00:15+00:00",
        "2025-01-01T00:00:45+00:00",
        "2025-01-02T00:00:15+00:00",
    ]


def test_seven_fields_end_with_a_year() -> None:
    assert firsts("0 0 12 1 1 * 2027,2029", 3) == [
        "2027-01-01T12:00:00+00:00",
        "2029-01-01T12:00:00+00:00",
    ]


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
        ("@DAILY", "0 0 * * *"),
        ("  @hourly ", "0 * * * *"),
    ],
)
def test_macros_expand_to_their_five_field_forms(macro: str, same_as: str) -> None:
    assert firsts(macro, 4) == firsts(same_as, 4)
    assert CronExpression.parse(macro).parsed.macro == macro.strip().lower()


def test_hourly_is_not_fixed_time_but_daily_is() -> None:
    assert not CronExpression.parse("@hourly").is_fixed_time
    assert CronExpression.parse("@daily").is_fixed_time


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("0 0 * jan,Mar *", "0 0 * 1,3 *"),
        ("0 0 * FEB-apr *", "0 0 * 2-4 *"),
        ("0 0 * * mon-FRI", "0 0 * * 1-5"),
        ("0 0 * * Sun", "0 0 * * 0"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("0 0 ? * MON", "0 0 * * 1"),
        ("0 0 1 * ?", "0 0 1 * *"),
        ("0 0 * JAN-DEC/3 *", "0 0 * 1,4,7,10 *"),
        ("*/20 * * * *", "0,20,40 * * * *"),
        ("10-30/10 * * * *", "10,20,30 * * * *"),
        ("50/5 * * * *", "50,55 * * * *"),
        ("0 0 * * */3", "0 0 * * 0,3,6"),
        ("0\t0  *\t* *", "0 0 * * *"),
    ],
)
def test_equivalent_spellings_fire_alike(text: str, same_as: str) -> None:
    after = datetime(2025, 1, 1, tzinfo=UTC)
    assert firsts(text, 12, after=after) == firsts(same_as, 12, after=after)


def test_dow_step_from_a_value_runs_to_seven_which_is_sunday() -> None:
    # a/s in day of week means a-7/s: 1/2 is Mon, Wed, Fri and Sun (7), not Mon, Wed, Fri.
    assert firsts("0 0 * * 1/2", 4) == firsts("0 0 * * 1,3,5,7", 4)
    assert firsts("0 0 * * 1/2", 4) == [
        "2025-01-03T00:00:00+00:00",  # Friday
        "2025-01-05T00:00:00+00:00",  # Sunday
        "2025-01-06T00:00:00+00:00",  # Monday
        "2025-01-08T00:00:00+00:00",  # Wednesday
    ]


def test_fixed_time_means_no_star_at_the_start_of_second_minute_and_hour() -> None:
    assert CronExpression.parse("0 1-3 * * *").is_fixed_time
    assert CronExpression.parse("H H * * *").is_fixed_time
    assert not CronExpression.parse("*/5 2 * * *").is_fixed_time
    assert not CronExpression.parse("0 * * * *").is_fixed_time
    assert not CronExpression.parse("* 0 0 * * *").is_fixed_time


def test_the_syntax_tree_keeps_fields_as_written() -> None:
    expr = CronExpression.parse("0 9 ? JAN MON-FRI")
    second, minute, hour, dom, month, dow = expr.fields
    assert (second.items, minute.items) == ((Span(0, 0),), (Span(0, 0),))
    assert hour.items == (Span(9, 9),)
    assert (dom.text, dom.restricted) == ("?", False)
    assert month.items == (Span(1, 1),)
    assert (dow.items, dow.restricted) == ((Span(1, 5),), True)
    assert len(CronExpression.parse("0 0 0 1 1 * 2030").fields) == 7


def test_equality_and_hash_follow_text_and_hash_key() -> None:
    a, b = CronExpression.parse("H * * * *", hash_key="a"), CronExpression.parse("H * * * *")
    assert a == CronExpression.parse("H * * * *", hash_key="a")
    assert a != b
    assert len({a, CronExpression.parse("H * * * *", hash_key="a"), b}) == 2
    assert repr(b) == "CronExpression('H * * * *')"


# -- H: hashed values --------------------------------------------------------------------------


def minute_of(text: str, key: str) -> tuple[int, ...]:
    minute = CronExpression.parse(text, hash_key=key).fields[1]
    return tuple(v for item in minute.items if isinstance(item, Span) for v in item.values())


def test_h_picks_one_value_in_range_and_is_the_same_for_the_same_key() -> None:
    values = minute_of("H * * * *", "schedule-1")
    assert len(values) == 1
    assert 0 <= values[0] <= 59
    assert minute_of("H * * * *", "schedule-1") == values


def test_h_range_stays_in_the_range() -> None:
    for n in range(50):
        (value,) = minute_of("H(10-14) * * * *", f"k{n}")
        assert 10 <= value <= 14


def test_h_step_is_every_step_from_a_hashed_start() -> None:
    for n in range(50):
        values = minute_of("H/15 * * * *", f"k{n}")
        assert len(values) == 4
        assert values[0] < 15
        assert [b - a for a, b in itertools.pairwise(values)] == [15, 15, 15]


def test_h_in_day_of_month_stays_within_28_and_day_of_week_within_6() -> None:
    for n in range(60):
        fields = CronExpression.parse("H H H * H", hash_key=f"k{n}").fields
        (dom,) = fields[3].items
        (dow,) = fields[5].items
        assert isinstance(dom, Span)
        assert isinstance(dow, Span)
        assert 1 <= dom.start <= 28
        assert 0 <= dow.start <= 6


def test_different_keys_spread_over_the_range() -> None:
    values = {minute_of("H * * * *", f"schedule-{n}")[0] for n in range(200)}
    assert len(values) > 40  # 200 keys over 60 minutes: a hash that spreads hits most of them


def test_no_key_hashes_like_the_empty_string() -> None:
    assert minute_of("H * * * *", "") == tuple(
        v
        for item in CronExpression.parse("H * * * *").fields[1].items
        if isinstance(item, Span)
        for v in item.values()
    )


def test_h_is_stable_across_processes() -> None:
    # A fresh interpreter with a different string-hash seed must pick the same minutes.
    script = (
        "from cronwright.cron import CronExpression as C\n"
        "print(*[C.parse('H H(0-5) * * *', hash_key=f'k{n}').fields[1].text for n in range(3)])\n"
        "print(*[C.parse('H H(0-5) * * *', hash_key=f'k{n}').fields[1].items[0].start "
        "for n in range(20)])\n"
        "print(*[C.parse('H H(0-5) * * *', hash_key=f'k{n}').fields[2].items[0].start "
        "for n in range(20)])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    here = "\n".join(
        [
            "H H H",
            " ".join(str(minute_of("H * * * *", f"k{n}")[0]) for n in range(20)),
            " ".join(
                str(CronExpression.parse("H H(0-5) * * *", hash_key=f"k{n}").fields[2].items[0][0])
                for n in range(20)
            ),
        ]
    )
    assert outputs == {here + "\n"}
