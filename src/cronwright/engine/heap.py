"""Keeps the cyclic garbage collector's full collections off the run starts.

The engine frees a run's objects by reference counting when the run ends (a test checks that
runs leave no reference cycles). CPython still makes a full collection, walking every tracked
object of the process, whenever enough objects have survived into its oldest generation: with
10,000 schedules at 1,000 runs/s (runs held for their time survive that long) that was a pause
of ~150 ms every second or two, landing in whichever second's starts were under way.

A settled heap takes that cost away: once the process has started (modules loaded, caches
filling), its objects are frozen (:func:`gc.freeze`), so the collector's
walks skip them and a full collection costs what the runs in flight cost. To leak nothing, the
heap is unfrozen and fully collected before each freeze, on a slow period: a reference cycle
that became garbage while frozen is freed at the next settle.

Runs claimed ahead of their time live for up to a second, long enough to be walked by every
young collection meanwhile and to be promoted into the oldest generation (where they made
full collections necessary). The worker freezes the heap right after it prepared such runs
(:meth:`HeapSettler.freeze`, a constant-time move of the collector's lists): the starts at
the next whole second then allocate into empty young generations, and the caches filled
since the settle are frozen too. What a freeze keeps that becomes cyclic garbage later waits
for the next settle; a node that stops unfreezes the heap.

While runs handed on at their time have not all started, the worker holds the collector off
(:meth:`HeapSettler.hold_off`, then :meth:`HeapSettler.let_go` once the last one started, at
most 2 s later, freezing what was made meanwhile): in a burst of 10,000 starts the young
collections took ~130 ms and a full one ~110 ms. Runs leave no cycles, so nothing waits for
the collector meanwhile but what other code makes; a program that turned the collector off
keeps it off.

A settle's full collection walks the whole heap (~100-200 ms with 10,000 schedules on a
small machine): it waits for a quiet moment (no run executing, none starting within a
second, as the worker says), postponed a second at a time for at most 5 s (under a steady
load there is no such moment).

A process that freezes its heap for its own reasons (a pre-fork server sharing pages with its
children) turns this off (``CRONWRIGHT_HEAP_SETTLE_INTERVAL=off``, ``App(settle_heap=False)``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from cronwright import clock as clocks
from cronwright.engine import loop

log = logging.getLogger(__name__)

DEFAULT_WARM_UP = timedelta(seconds=5)
DEFAULT_INTERVAL = timedelta(minutes=10)
QUIET_WITHIN = timedelta(seconds=1)  # no start expected this soon: a moment to settle
POSTPONE_STEP = timedelta(seconds=1)
POSTPONE_AT_MOST = timedelta(seconds=5)


class HeapSettler:
    """Settles the process's heap ``warm_up`` after it starts, then every ``interval``."""

    def __init__(
        self,
        clock: clocks.Clock,
        *,
        warm_up: timedelta = DEFAULT_WARM_UP,
        interval: timedelta = DEFAULT_INTERVAL,
        quiet: Callable[[timedelta], bool] | None = None,
    ) -> None:
        """``quiet(within)``: whether nothing executes and nothing starts ``within`` (the
        worker's :meth:`~cronwright.engine.worker.Worker.quiet`); None: always quiet."""
        self._clock = clock
        self._interval = interval
        self._quiet = quiet
        self._postponed_since: datetime | None = None
        self._settled = False  # freezes wait for the first settle: the process is warm then
        self._holding = False  # the collector is off until let_go
        self._lock = threading.Lock()
        self.loop = loop.Loop(
            "heap",
            self.settle_when_quiet,
            clock,
            interval=interval,
            initial_delay=warm_up,
            sleep_on_clock=False,  # a shared clock's wake-ups are the workers'
        )

    def settle(self) -> int:
        """Free every unreachable cycle, then freeze what is left; the objects frozen."""
        started = time.perf_counter()
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        self._settled = True
        frozen = gc.get_freeze_count()
        log.debug(
            "heap settled in %.0f ms: %d unreachable objects freed, %d frozen",
            1000 * (time.perf_counter() - started),
            collected,
            frozen,
        )
        return frozen

    def freeze(self) -> None:
        """Move every object tracked now out of the collector's walks until the next settle
        (nothing before the first settle)."""
        if self._settled:
            gc.freeze()

    def hold_off(self) -> None:
        """Keep the collector from running until :meth:`let_go` (runs handed on at their time
        are starting): once settled, and only if it is on."""
        with self._lock:
            if self._settled and not self._holding and gc.isenabled():
                gc.disable()
                self._holding = True

    def let_go(self) -> None:
        """The collector runs again, if :meth:`hold_off` stopped it. What was made meanwhile
        is frozen first: the first young collection would walk all of it (~110 ms after a
        burst of 10,000 starts); the next settle looks at it."""
        with self._lock:
            if self._holding:
                self._holding = False
                gc.freeze()
                gc.enable()

    def release(self) -> None:
        """Unfreeze the heap (when the node stops): the process's collector as it was."""
        self.let_go()
        if self._settled:
            self._settled = False
            gc.unfreeze()

    def settle_when_quiet(self) -> datetime:
        """Settle now if the worker is quiet, or if it has been busy for too long; when to
        ask again (the loop's round)."""
        now = self._clock.now()
        if self._quiet is not None and not self._quiet(QUIET_WITHIN):
            since = self._postponed_since = self._postponed_since or now
            if now - since < POSTPONE_AT_MOST:
                return now + POSTPONE_STEP
        self._postponed_since = None
        self.settle()
        return self._clock.now() + self._interval
