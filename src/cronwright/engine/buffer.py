"""The runs a worker claimed that wait for a runner, taken oldest first without a lock.

Two queues: runs claimed when due (a batch claim) and runs claimed ahead whose time came (handed
on together at their time). A runner takes the head of the queue whose head became available
first, so runs handed on at their time go first when others were claimed at the same time, and
a process that cannot keep up still starts every run in the order it became due (never one
queue's runs before the other's for ever).

Every operation is a ``deque`` operation, atomic under the GIL: runners take run after run with
no lock, and a run is taken by exactly one of them. Reads of a head may see the queue change
under them: a take that loses such a race looks again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class RunBuffer(Generic[T]):
    def __init__(self, available_at: Callable[[T], datetime]) -> None:
        self._available_at = available_at
        self._claimed: deque[T] = deque()
        self._due: deque[T] = deque()

    def __len__(self) -> int:
        return len(self._claimed) + len(self._due)

    def __bool__(self) -> bool:
        return bool(self._claimed) or bool(self._due)

    @property
    def due_waiting(self) -> bool:
        """Whether runs handed on at their time wait for a runner."""
        return bool(self._due)

    def put(self, item: T) -> None:
        """A run claimed when due."""
        self._claimed.append(item)

    def put_due(self, items: Iterable[T]) -> None:
        """Runs claimed ahead whose time came, in time order."""
        self._due.extend(items)

    def take(self) -> tuple[T, bool] | None:
        """The run that became available first, and whether it was handed on at its time;
        None when both queues are empty."""
        claimed, due = self._claimed, self._due
        while claimed or due:
            try:
                if not due or (
                    claimed and self._available_at(claimed[0]) <= self._available_at(due[0])
                ):
                    return claimed.popleft(), False
                return due.popleft(), True
            except IndexError:  # another runner took a head meanwhile: look again
                continue
        return None

    def take_newest(self) -> T | None:
        """The run that became available last (shutdown gives those back first)."""
        claimed, due = self._claimed, self._due
        while claimed or due:
            try:
                if not claimed or (
                    due and self._available_at(due[-1]) >= self._available_at(claimed[-1])
                ):
                    return due.pop()
                return claimed.pop()
            except IndexError:
                continue
        return None
