from datetime import UTC, datetime, timedelta

import pytest

from cronwright.clock import FakeClock, SystemClock

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_fake_clock_sleeping_jumps_to_the_deadline_and_records_it() -> None:
    clock = FakeClock(T0)
    clock.sleep_until(T0 + timedelta(seconds=30))
    assert clock.now() == T0 + timedelta(seconds=30)
    assert clock.slept_until == [T0 + timedelta(seconds=30)]


def test_fake_clock_never_goes_back_when_the_deadline_is_past() -> None:
    clock = FakeClock(T0)
    clock.sleep_until(T0 - timedelta(seconds=5))
    assert clock.now() == T0


def test_fake_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))


def test_system_clock_is_aware_utc_and_wakes_early() -> None:
    clock = SystemClock()
    start = clock.now()
    assert start.tzinfo is UTC
    clock.wake()
    clock.sleep_until(start + timedelta(seconds=30))  # returns at once: woken before sleeping
    assert clock.now() - start < timedelta(seconds=5)
