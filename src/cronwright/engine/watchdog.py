"""Deadlines of the steps that run on their caller's thread.

The executor runs a step on the thread that drives its run whenever nothing else of the run is
running (a one-step workflow, a chain), so a fast step costs no thread start and no hand-over.
A thread busy in a step cannot watch the clock, so this watchdog does: one thread per executor
looks at every watched step each ``check_every`` and calls its ``expire`` once its deadline has
passed or its run was interrupted. Expiring is the executor's business (it stops the step and
hands the run to another thread); the watchdog only decides when.

The thread starts with the first watch and ends after ``linger`` with nothing to watch, so an
idle executor holds no thread. While it lives it looks every ``check_every`` whether or not
anything is watched: a watch is then one dictionary insert and an unwatch one removal, with no
lock and no wake-up (runs of a burst start thousands of watched steps a second on many runner
threads; a lock they all take made each wait for the GIL when another held it, ~1.8 ms a
watch in a burst). Single dictionary operations are atomic in CPython; the thread's end is
decided under a lock that only starting and ending the thread take.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronwright import clock

log = logging.getLogger(__name__)

DEFAULT_LINGER = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class _Watch:
    deadline: datetime
    interrupt: threading.Event
    expire: Callable[[], None]


class Watchdog:
    def __init__(
        self,
        clock: clock.Clock,
        *,
        check_every: timedelta,
        linger: timedelta = DEFAULT_LINGER,
    ) -> None:
        self._clock = clock
        self._check_every = check_every.total_seconds()
        self._linger = linger.total_seconds()
        self._lock = threading.Lock()
        self._watched: dict[int, _Watch] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None
        self._pause = threading.Event()  # never set: a sleep that is not the clock's

    def watch(
        self, deadline: datetime, interrupt: threading.Event, expire: Callable[[], None]
    ) -> int:
        """Call ``expire`` (on the watchdog's thread) once ``deadline`` passes or ``interrupt``
        is set, unless :meth:`unwatch` comes first; returns the token for it."""
        token = next(self._tokens)
        self._watched[token] = _Watch(deadline, interrupt, expire)
        # Read after the insert: a thread that ends later sees this watch (see _loop).
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="cronwright-watchdog", daemon=True
                    )
                    self._thread.start()
        return token

    def unwatch(self, token: int) -> None:
        self._watched.pop(token, None)

    @property
    def running(self) -> bool:
        """Whether the watchdog's thread is alive (it ends after ``linger`` idle)."""
        with self._lock:
            return self._thread is not None

    @property
    def watching(self) -> int:
        return len(self._watched)

    def _loop(self) -> None:
        idle_rounds = 0  # of check_every each: the linger counted without reading a clock
        while True:
            self._pause.wait(self._wait_seconds())
            # Read before taking the lock: a clock read may be a database round trip, and
            # every runner starting or ending a step needs the lock.
            now = self._clock.now()
            if not self._watched:
                idle_rounds += 1
                if idle_rounds * self._check_every >= self._linger and self._end():
                    return
                continue
            idle_rounds = 0
            due = [
                token
                for token, watch in list(self._watched.items())  # a copy made at once
                if watch.interrupt.is_set() or now >= watch.deadline
            ]
            expiring = [
                watch for token in due if (watch := self._watched.pop(token, None)) is not None
            ]  # (one unwatched meanwhile is gone: its step returned in time)
            for watch in expiring:  # outside the lock: expiring starts threads, takes locks
                try:
                    watch.expire()
                except Exception:
                    log.exception("expiring a step failed")

    def _end(self) -> bool:
        """End the thread unless a watch came; whether it ends. A watch inserted before the
        second look is seen there; one inserted after it sees no thread and starts one."""
        with self._lock:
            self._thread = None
            if not self._watched:
                return True
            self._thread = threading.current_thread()
            return False

    def _wait_seconds(self) -> float:
        """Until the earliest deadline, at most ``check_every`` (interrupts are polled)."""
        deadlines = [watch.deadline for watch in list(self._watched.values())]
        if not deadlines:
            return self._check_every
        left = (min(deadlines) - self._clock.now()).total_seconds()
        return max(0.0, min(self._check_every, left))
