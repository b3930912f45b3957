"""Slots of a schedule: window bounds, start/end, and DST policies in real zones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronwright import domain
from cronwright.planning.slots import Cadence

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def cadence(cron: str, timezone: str = "UTC", **changes: object) -> Cadence:
    spec = domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(1), name="s", cron=cron, timezone=timezone
    ).replace(**changes)
    return Cadence.of(spec, hash_key="k")


def iso(instants: object, zone: ZoneInfo) -> list[str]:
    assert isinstance(instants, list)
    return [at.astimezone(zone).isoformat() for at in instants]


def test_window_is_open_below_and_closed_above() -> None:
    every_minute = cadence("* * * * *")
    after = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    slots = list(every_minute.slots(after=after, until=after + timedelta(minutes=3)))
    assert [at.isoformat() for at in slots] == [
        "2026-11-27T14:01:00+00:00",
        "2026-11-27T14:02:00+00:00",
        "2026-11-27T14:03:00+00:00",
    ]


def test_slots_from_includes_the_first_instant() -> None:
    hourly = cadence("0 * * * *")
    first = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert list(hourly.slots_from(first, until=first + timedelta(hours=1))) == [
        first,
        first + timedelta(hours=1),
    ]


def test_no_slot_before_start_at_or_after_end_at() -> None:
    start = datetime(2026, 11, 27, 14, 10, tzinfo=UTC)
    end = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    bounded = cadence("*/10 * * * *", start_at=start, end_at=end)
    slots = list(bounded.slots(after=datetime(2026, 11, 27, 13, 0, tzinfo=UTC)))
    assert [at.strftime("%H:%M") for at in slots] == ["14:10", "14:20", "14:30"]
    assert bounded.next_fire_at(after=end) is None
    assert bounded.next_fire_at(after=datetime(2026, 1, 1, tzinfo=UTC)) == start


def test_start_at_between_slots_starts_at_the_next_slot() -> None:
    bounded = cadence("0 * * * *", start_at=datetime(2026, 11, 27, 14, 0, 1, tzinfo=UTC))
    assert bounded.next_fire_at(after=datetime(2026, 11, 27, 0, 0, tzinfo=UTC)) == datetime(
        2026, 11, 27, 15, 0, tzinfo=UTC
    )


def test_slots_are_lazy_so_an_enormous_window_costs_only_what_is_taken() -> None:
    every_second = cadence("* * * * * *")
    after = datetime(2026, 1, 1, tzinfo=UTC)
    slots = every_second.slots(after=after, until=after + timedelta(days=365 * 100))
    assert list(itertools.islice(slots, 2)) == [
        after + timedelta(seconds=1),
        after + timedelta(seconds=2),
    ]


# America/New_York, 2026-03-08: 01:59:59 EST (-05:00) is followed by 03:00:00 EDT (-04:00).
SPRING_NY = (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))


def test_fixed_time_in_the_new_york_gap_shifts_to_the_transition_by_default() -> None:
    slots = list(
        cadence("30 2 * * *", "America/New_York").slots(after=SPRING_NY[0], until=SPRING_NY[1])
    )
    assert iso(slots, NEW_YORK) == [
        "2026-03-07T02:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]


def test_gap_policy_skip_drops_the_missing_time() -> None:
    skipping = cadence("30 2 * * *", "America/New_York", dst_gap=domain.DstGapPolicy.SKIP)
    slots = list(skipping.slots(after=SPRING_NY[0], until=SPRING_NY[1]))
    assert iso(slots, NEW_YORK) == ["2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00"]


# America/New_York, 2026-11-01: 01:59:59 EDT (-04:00) is followed by 01:00:00 EST (-05:00).
FALL_NY = (datetime(2026, 11, 1, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 8, 0, tzinfo=UTC))


def test_fixed_time_in_the_new_york_fold_fires_once_at_the_first_occurrence() -> None:
    slots = list(
        cadence("30 1 * * *", "America/New_York").slots(after=FALL_NY[0], until=FALL_NY[1])
    )
    assert iso(slots, NEW_YORK) == ["2026-11-01T01:30:00-04:00"]


def test_fold_policies_both_and_last() -> None:
    both = cadence("30 1 * * *", "America/New_York", dst_fold=domain.DstFoldPolicy.BOTH)
    last = cadence("30 1 * * *", "America/New_York", dst_fold=domain.DstFoldPolicy.LAST)
    assert iso(list(both.slots(after=FALL_NY[0], until=FALL_NY[1])), NEW_YORK) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
    ]
    assert iso(list(last.slots(after=FALL_NY[0], until=FALL_NY[1])), NEW_YORK) == [
        "2026-11-01T01:30:00-05:00"
    ]


# Europe/Berlin, 2026-03-29: 01:59:59 CET (+01:00) is followed by 03:00:00 CEST (+02:00);
# 2026-10-25: 02:59:59 CEST (+02:00) is followed by 02:00:00 CET (+01:00).
def test_interval_expression_in_berlin_skips_the_gap_and_repeats_the_fold() -> None:
    half_hourly = cadence("*/30 * * * *", "Europe/Berlin")
    spring = half_hourly.slots(
        after=datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        until=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    )
    assert iso(list(spring), BERLIN) == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]
    autumn = half_hourly.slots(
        after=datetime(2026, 10, 24, 23, 45, tzinfo=UTC),
        until=datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
    )
    assert iso(list(autumn), BERLIN) == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
