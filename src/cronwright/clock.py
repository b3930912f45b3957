"""The only module that reads wall time or sleeps.

Everything else receives a :class:`Clock`, so tests drive time with a fake one and loops that
"sleep" cost no real time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def sleep_until(self, deadline: datetime) -> None:
        """Block until ``deadline`` or until :meth:`wake` is called, whichever is first."""
        ...

    def wake(self) -> None:
        """Cut short the current (or next) :meth:`sleep_until`."""
        ...


class SystemClock:
    """Wall-clock time; sleeping waits on an event so a wake-up or shutdown is immediate."""

    def __init__(self) -> None:
        self._woken = threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, deadline: datetime) -> None:
        remaining = (deadline - self.now()).total_seconds()
        if remaining > 0:
            self._woken.wait(remaining)
        self._woken.clear()

    def wake(self) -> None:
        # Set only when not set: setting takes the event's lock, and in a burst every run's end
        # wakes the claim loop. A sleeper clears it before it looks for work, so a wake-up
        # skipped here is one it has not yet looked past.
        if not self._woken.is_set():
            self._woken.set()


class FakeClock:
    """A clock for tests: time moves only when told to, and sleeping jumps to the deadline."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start instant")
        self.current = start.astimezone(UTC)
        self.slept_until: list[datetime] = []
        self.wakes = 0

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def sleep_until(self, deadline: datetime) -> None:
        self.slept_until.append(deadline)
        self.current = max(self.current, deadline)

    def wake(self) -> None:
        self.wakes += 1
