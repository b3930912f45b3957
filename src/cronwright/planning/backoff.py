"""Retry delays: exponential backoff with full jitter.

Attempt ``n`` (1-based: the attempt that just failed) waits a uniform random delay in
``[0, min(max, initial * factor ** (n - 1))]``. Full jitter spreads the retries of runs that
failed together (an outage) instead of sending them back in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cronwright.domain import schedule as schedule_defaults

# A source of floats in [0, 1); ``random.random`` in production, a fixed sequence in tests.
UnitRandom = Callable[[], float]


@dataclass(frozen=True, slots=True, kw_only=True)
class BackoffPolicy:
    max_attempts: int = schedule_defaults.DEFAULT_MAX_ATTEMPTS
    initial: timedelta = schedule_defaults.DEFAULT_BACKOFF_INITIAL
    factor: float = schedule_defaults.DEFAULT_BACKOFF_FACTOR
    maximum: timedelta = schedule_defaults.DEFAULT_BACKOFF_MAX

    def ceiling(self, attempt: int) -> timedelta:
        """The largest delay after failed attempt ``attempt`` (>= 1)."""
        if attempt < 1:
            raise ValueError(f"attempt must be at least 1, not {attempt}")
        # Compare in seconds so a huge exponent saturates at the maximum instead of overflowing.
        try:
            grown = self.initial.total_seconds() * self.factor ** (attempt - 1)
        except OverflowError:
            return self.maximum
        if grown >= self.maximum.total_seconds():
            return self.maximum
        return timedelta(seconds=grown)

    def delay(self, attempt: int, unit_random: UnitRandom = random.random) -> timedelta:
        """A random delay in ``[0, ceiling(attempt)]`` (full jitter)."""
        fraction = unit_random()
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"random source gave {fraction}, outside [0, 1]")
        micros = self.ceiling(attempt) // timedelta(microseconds=1)
        return timedelta(microseconds=round(micros * fraction))

    def attempts_left(self, attempt: int) -> bool:
        """Whether a run whose attempt ``attempt`` just failed may try again."""
        return attempt < self.max_attempts
