"""A first look at the engine end to end; the thorough suites live beside this file."""

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cronwright.cron import CronExpression, CronSyntaxError

BERLIN = ZoneInfo("Europe/Berlin")


def test_weekday_mornings_in_new_york() -> None:
    expr = CronExpression.parse("0 9 * * MON-FRI")
    after = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday, 07:00 in New York
    fires = list(itertools.islice(expr.iter(after, "America/New_York"), 2))
    assert [f.isoformat() for f in fires] == [
        "2026-11-27T14:00:00+00:00",
        "2026-11-30T14:00:00+00:00",
    ]


def test_out_of_range_minute_names_field_and_column() -> None:
    with pytest.raises(CronSyntaxError) as caught:
        CronExpression.parse("60 * * * *")
    assert str(caught.value) == "minute: 60 is out of range 0-59 (column 1)"


def test_spring_forward_fixed_time_fires_at_the_transition() -> None:
    # 2025-03-30: 01:59:59+01:00 is followed by 03:00:00+02:00; local 02:xx does not exist.
    after = datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN)
    fires = itertools.islice(CronExpression.parse("30 2 * * *").iter(after, BERLIN), 2)
    assert [f.astimezone(BERLIN).isoformat() for f in fires] == [
        "2025-03-30T03:00:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]
