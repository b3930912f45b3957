import threading
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


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_system_clock_wake_ends_a_sleep_long_before_its_deadline() -> None:
    clock = SystemClock()
    sleeper = threading.Thread(
        target=clock.sleep_until, args=(clock.now() + timedelta(hours=1),), daemon=True
    )
    sleeper.start()
    for _ in range(200):  # wake until it ends: it may not have fallen asleep yet
        clock.wake()
        sleeper.join(0.05)
        if not sleeper.is_alive():
            break
    assert not sleeper.is_alive(), "a woken sleep went on towards its one-hour deadline"
