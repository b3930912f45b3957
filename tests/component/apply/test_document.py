"""The pieces of the file format that are not worth a database: durations and line lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cronwright.service import declarative


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [
        ("0", timedelta(0), "0s"),
        ("90s", timedelta(seconds=90), "1m30s"),
        ("1h30m", timedelta(minutes=90), "1h30m"),
        ("2d", timedelta(days=2), "2d"),
        ("500ms", timedelta(milliseconds=500), "500ms"),
        ("1.5h", timedelta(minutes=90), "1h30m"),
        ("1d2h3m4s5ms", timedelta(days=1, hours=2, minutes=3, seconds=4, milliseconds=5), None),
    ],
)
def test_durations_read_and_print_back(text: str, value: timedelta, shown: str | None) -> None:
    assert declarative.parse_duration(text) == value
    printed = declarative.format_duration(value)
    assert printed == (shown or text)
    assert declarative.parse_duration(printed) == value


@pytest.mark.parametrize("text", ["", "h", "10", "1x", "10 m", "m10", "-5s", "1h 30m"])
def test_other_spellings_are_not_durations(text: str) -> None:
    assert declarative.parse_duration(text) is None


def test_errors_point_at_the_nearest_line_that_has_the_field() -> None:
    source = declarative.parse(
        "organization: acme\nschedules:\n  - name: a\n    input:\n      deep: {x: [1, 2]}\n",
        file="f.yaml",
    )
    assert source.line_of("schedules[0].input.deep.x[1]") == 5
    assert source.line_of("schedules[0].cron") == 3  # not in the file: its entry's line
    assert source.line_of("schedules[7]") == 2
    assert str(source.error("schedules[0].cron", "is required")) == (
        "f.yaml:3: schedules[0].cron: is required"
    )
