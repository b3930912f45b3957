"""Keeps the cyclic garbage collector's full collections off the run starts.

The engine frees a run's objects by reference counting when the run ends (a test checks that
runs leave no reference cycles). CPython still makes a full collection, walking every tracked
object of the process, whenever enough objects have survived into its oldest generation: with
10,000 schedules at 1,000 runs/s (runs held for their time survive that long) that was a pause
of ~150 ms every second or two, landing in whichever second's starts were under way.

A settled heap takes that cost away: once the process is warm (modules, caches of definitions
and schedule versions filled), its objects are frozen (:func:`gc.freeze`), so the collector's
walks skip them and a full collection costs what the runs in flight cost. To leak nothing, the
heap is unfrozen and fully collected before each freeze, on a slow period: a reference cycle
that became garbage while frozen is freed at the next settle.

Runs claimed ahead of their time live for up to a second, long enough to be walked by every
young collection meanwhile and to be promoted into the oldest generation (where they made
full collections necessary). The worker freezes the heap right after it prepared such runs
(:meth:`HeapSettler.freeze`, a constant-time move of the collector's lists): the starts at
the next whole second then allocate into empty young generations. What a freeze keeps that
becomes cyclic garbage later waits for the next settle.

A process that freezes its heap for its own reasons (a pre-fork server sharing pages with its
children) turns this off (``CRONWRIGHT_HEAP_SETTLE_INTERVAL=off``, ``App(settle_heap=False)``).
"""

from __future__ import annotations

import gc
import logging
import time
from datetime import timedelta

from cronwright import clock as clocks
from cronwright.engine import loop

log = logging.getLogger(__name__)

DEFAULT_WARM_UP = timedelta(seconds=10)
DEFAULT_INTERVAL = timedelta(minutes=10)


class HeapSettler:
    """Settles the process's heap ``warm_up`` after it starts, then every ``interval``."""

    def __init__(
        self,
        clock: clocks.Clock,
        *,
        warm_up: timedelta = DEFAULT_WARM_UP,
        interval: timedelta = DEFAULT_INTERVAL,
    ) -> None:
        self.loop = loop.Loop(
            "heap",
            self._round,
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
        frozen = gc.get_freeze_count()
        log.debug(
            "heap settled in %.0f ms: %d unreachable objects freed, %d frozen",
            1000 * (time.perf_counter() - started),
            collected,
            frozen,
        )
        return frozen

    def freeze(self) -> None:
        """Move every object tracked now out of the collector's walks until the next settle."""
        gc.freeze()

    def _round(self) -> None:
        self.settle()
