from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright.planning.backoff import BackoffPolicy

DEFAULT = BackoffPolicy()


def test_the_defaults_are_three_attempts_from_five_seconds_doubling() -> None:
    assert DEFAULT.max_attempts == 3
    assert [DEFAULT.ceiling(n) for n in (1, 2, 3)] == [
        timedelta(seconds=5),
        timedelta(seconds=10),
        timedelta(seconds=20),
    ]


def test_the_ceiling_stops_at_the_maximum() -> None:
    policy = BackoffPolicy(initial=timedelta(seconds=1), factor=10, maximum=timedelta(minutes=1))
    assert [policy.ceiling(n).total_seconds() for n in (1, 2, 3, 4, 500)] == [1, 10, 60, 60, 60]


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    assert DEFAULT.delay(2, lambda: 0.0) == timedelta(0)
    assert DEFAULT.delay(2, lambda: 0.5) == timedelta(seconds=5)
    assert DEFAULT.delay(2, lambda: 1.0) == timedelta(seconds=10)


def test_attempts_are_left_until_the_last_one() -> None:
    assert [DEFAULT.attempts_left(n) for n in (1, 2, 3)] == [True, True, False]


def test_a_random_source_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        DEFAULT.delay(1, lambda: 1.5)


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    initial_ms=st.integers(min_value=0, max_value=60_000),
    factor=st.floats(min_value=1, max_value=100),
    extra_ms=st.integers(min_value=0, max_value=3_600_000),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_every_delay_is_within_zero_and_the_capped_exponential(
    attempt: int, initial_ms: int, factor: float, extra_ms: int, fraction: float
) -> None:
    initial = timedelta(milliseconds=initial_ms)
    policy = BackoffPolicy(
        initial=initial, factor=factor, maximum=initial + timedelta(milliseconds=extra_ms)
    )
    delay = policy.delay(attempt, lambda: fraction)
    assert timedelta(0) <= delay <= policy.ceiling(attempt) <= policy.maximum


@given(
    initial_ms=st.integers(min_value=1, max_value=10_000),
    factor=st.floats(min_value=1, max_value=10),
    attempts=st.integers(min_value=2, max_value=60),
)
def test_ceilings_never_decrease(initial_ms: int, factor: float, attempts: int) -> None:
    policy = BackoffPolicy(
        initial=timedelta(milliseconds=initial_ms), factor=factor, maximum=timedelta(hours=1)
    )
    ceilings = [policy.ceiling(n) for n in range(1, attempts + 1)]
    assert ceilings == sorted(ceilings)
