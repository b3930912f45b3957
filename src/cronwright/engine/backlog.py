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

from datetime import datetime, timedelta


class Backlog:
    def __init__(self, *, prefetch: int, most: int, window: timedelta) -> None:
        self._prefetch = prefetch
        self._most = max(prefetch, most)
        self._window = window
        # While behind: since when the current window runs, and the runs taken before it.
        self._counting: tuple[datetime, int] | None = None
        self.room = prefetch  # runs due now to keep waiting for a runner

    def claimed(self, now: datetime, *, asked: int, got: int, taken: int) -> None:
        """A claim asked for ``asked`` runs due now and got ``got`` (claims ahead aside);
        ``taken``: how many runs the runners have taken so far, in all."""
        if asked <= 0:  # it asked for none due now: it says nothing of how many there are
            return
        if got < asked:  # caught up
            self._counting = None
            self.room = self._prefetch
        elif self._counting is None:
            self._counting = (now, taken)

    def measure(self, now: datetime, *, taken: int) -> None:
        """Size ``room`` from the runs taken in the window that ended (the claim loop, before
        a claim); ``taken`` as for :meth:`claimed`."""
        if self._counting is None:
            return
        began, before = self._counting
        took = now - began
        if took < self._window:
            return
        starts = (taken - before) * (self._window / took)
        self.room = max(self._prefetch, min(self._most, int(starts)))
        self._counting = (now, taken)
