"""How many runs due now a worker keeps waiting for its runners, and more of them when behind.

A worker keeps ``prefetch`` runs waiting for a runner. It is behind when a claim took all the
runs due now it asked for: more are due than it has room for. It then keeps as many waiting as
its runners started within the last ``window`` (never fewer than ``prefetch``, at most
``most``), so that a backlog is claimed in a few large claims rather than many small ones. A
claim costs mostly per claim, not per run: ~40 ms on PostgreSQL with fsync on, for 20 runs as
for 500. Two processes starting 4 s behind at 1,000 runs a second, claiming ~25 runs at a time,
took ~11 s to catch up. Measured starts keep this fair: a worker whose runs take long starts
few within the window and keeps no more than ``prefetch`` from the other workers of the cluster.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta


class Backlog:
    def __init__(self, *, prefetch: int, most: int, window: timedelta) -> None:
        self._prefetch = prefetch
        self._most = max(prefetch, most)
        self._window = window
        self._numbers = itertools.count(1)
        self._started = 0  # runs started so far
        # While behind: since when the current window runs, and the starts made before it.
        self._counting: tuple[datetime, int] | None = None
        self.room = prefetch  # runs due now to keep waiting for a runner

    def started(self) -> None:
        """A runner starts a run (any thread, no lock)."""
        # ``next`` on a C counter is atomic: no start is lost, though two runners may store
        # their numbers out of order and the count read may lag by a start for a moment.
        self._started = next(self._numbers)

    def claimed(self, now: datetime, *, asked: int, got: int) -> None:
        """A claim asked for ``asked`` runs due now and got ``got`` (claims ahead aside)."""
        if asked <= 0:  # it asked for none due now: it says nothing of how many there are
            return
        if got < asked:  # caught up
            self._counting = None
            self.room = self._prefetch
        elif self._counting is None:
            self._counting = (now, self._started)

    def measure(self, now: datetime) -> None:
        """Size ``room`` from the starts of the window that ended (the claim loop, before a
        claim)."""
        if self._counting is None:
            return
        began, before = self._counting
        took = now - began
        if took < self._window:
            return
        starts = (self._started - before) * (self._window / took)
        self.room = max(self._prefetch, min(self._most, int(starts)))
        self._counting = (now, self._started)
