"""When the scheduler loop wakes up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronwright.planning.wakeup import next_wakeup

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_wakes_lookahead_before_the_earliest_slot() -> None:
    assert next_wakeup(now=NOW, earliest_next_fire_at=NOW + 13 * S, lookahead=10 * S) == NOW + 3 * S


def test_polls_at_least_every_max_poll() -> None:
    far = NOW + timedelta(hours=1)
    assert next_wakeup(now=NOW, earliest_next_fire_at=far, lookahead=10 * S, max_poll=5 * S) == (
        NOW + 5 * S
    )
    assert next_wakeup(now=NOW, earliest_next_fire_at=None, lookahead=10 * S, max_poll=5 * S) == (
        NOW + 5 * S
    )


def test_never_spins_on_a_schedule_that_stays_due() -> None:
    overdue = NOW - timedelta(minutes=5)
    wake_at = next_wakeup(
        now=NOW,
        earliest_next_fire_at=overdue,
        lookahead=10 * S,
        min_poll=timedelta(milliseconds=200),
    )
    assert wake_at == NOW + timedelta(milliseconds=200)


def test_wakes_off_the_beat_after_the_slot_came_within_the_lookahead() -> None:
    half = timedelta(milliseconds=500)
    assert next_wakeup(
        now=NOW, earliest_next_fire_at=NOW + 13 * S, lookahead=10 * S, off_beat=half
    ) == (NOW + 3 * S + half)
    # Never more than half the lookahead late: a slot is still written well ahead of it.
    assert next_wakeup(
        now=NOW, earliest_next_fire_at=NOW + 3 * S, lookahead=S, off_beat=10 * S
    ) == (NOW + 2 * S + half)
