"""Runs claimed ahead of their time, each handed on at its time.

A worker claims runs whose time is within a short horizon (claiming, limits and fairness happen
before the fire time) and holds them here; one thread sleeps until the earliest is due and hands
every due run to ``on_due`` (the worker's runners) at once, so the only work left at the fire
time is a thread wake-up. Nothing here touches the database: recording stays on the runners and
the group-commit writer.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

from cronwright import clock

log = logging.getLogger(__name__)

T = TypeVar("T")


class TimedStarts(Generic[T]):
    def __init__(self, clock: clock.Clock, on_due: Callable[[list[T]], None]) -> None:
        self._clock = clock
        self._on_due = on_due
        self._heap: list[tuple[datetime, int, T]] = []
        self._order = itertools.count()  # ties keep the order they were held in
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        with self._changed:
            return len(self._heap)

    def hold(self, items: Iterable[tuple[datetime, T]]) -> None:
        """Hold each item until its time."""
        with self._changed:
            earliest = self._heap[0][0] if self._heap else None
            for at, item in items:
                heapq.heappush(self._heap, (at, next(self._order), item))
            if self._heap and (earliest is None or self._heap[0][0] < earliest):
                self._changed.notify()

    def earliest(self) -> datetime | None:
        with self._changed:
            return self._heap[0][0] if self._heap else None

    def peek_earliest(self) -> datetime | None:
        """:meth:`earliest` without the lock (a look at the heap's head, atomic under the GIL;
        it may be a moment stale): for a check made often from other threads."""
        try:
            return self._heap[0][0]
        except IndexError:
            return None

    def take_due(self, now: datetime) -> list[T]:
        """The items whose time is ``now`` or before, in time order, no longer held."""
        with self._changed:
            return self._pop_due(now)

    def hand_on_due(self) -> int:
        """Hand the items due now to ``on_due`` (what the thread does); how many."""
        due = self.take_due(self._clock.now())
        if due:
            self._on_due(due)
        return len(due)

    def take_all(self) -> list[T]:
        """Every item still held, in time order (shutdown: they will not start here)."""
        with self._changed:
            items = [item for _, _, item in sorted(self._heap)]
            self._heap.clear()
            return items

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="cronwright-starts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _pop_due(self, now: datetime) -> list[T]:
        due = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[2])
        return due

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._stopping:
                    if self._heap:
                        wait = (self._heap[0][0] - self._clock.now()).total_seconds()
                        if wait <= 0:
                            break
                        self._changed.wait(wait)
                    else:
                        self._changed.wait()
                if self._stopping:
                    return
                due = self._pop_due(self._clock.now())
            try:
                self._on_due(due)
            except Exception:  # the runs stay leased: the reaper retries them if lost
                log.exception("could not hand on %d run(s) due now", len(due))
