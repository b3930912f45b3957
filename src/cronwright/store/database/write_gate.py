"""SQLite has one writer: the writers of one process take turns on one lock, in arrival order.

Without it a writer waits in SQLite's busy handler, which sleeps 1, 2, 5... 100 ms between tries
and loses every race to a thread that writes back to back: at 1,000 runs/s the scheduler's
transactions starved the claims for seconds. A plain lock is not enough either: a thread that
releases it and asks again at once (the scheduler with more to write) takes it again before a
woken waiter runs. So the lock is handed over to the longest waiter. PostgreSQL needs none of
this (row locks).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from cronwright.store.database import dialect


class FairLock:
    """A reentrant lock handed to its waiters in the order they asked for it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiters: deque[tuple[int, threading.Lock]] = deque()

    @property
    def waiting(self) -> int:
        """Threads waiting for their turn."""
        with self._mutex:
            return len(self._waiters)

    def __enter__(self) -> FairLock:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return self
            if self._owner is None:
                self._owner, self._depth = me, 1
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append((me, turn))
        turn.acquire()  # released by the previous owner, once it made this thread the owner
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if not self._waiters:
                self._owner = None
                return
            self._owner, turn = self._waiters.popleft()
            self._depth = 1
        turn.release()


_GATES: weakref.WeakKeyDictionary[Engine, FairLock] = weakref.WeakKeyDictionary()
_GATES_GUARD = threading.Lock()


def write_gate(engine: Engine) -> AbstractContextManager[object]:
    """What a write transaction on ``engine`` holds around itself in this process: one
    :class:`FairLock` per SQLite engine (claims, finishes, the scheduler's materialising, alert
    scans, the API), nothing on PostgreSQL."""
    if not dialect.capabilities_of(engine).single_writer:
        return nullcontext()
    with _GATES_GUARD:
        gate = _GATES.get(engine)
        if gate is None:
            gate = _GATES[engine] = FairLock()
        return gate


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction on ``engine``: this process's turn at :func:`write_gate`, then the
    transaction (``BEGIN IMMEDIATE`` on SQLite); committed on leaving, rolled back on error."""
    with write_gate(engine), engine.connect() as connection:
        connection.execution_options(**dialect.WRITE)
        with connection.begin():
            yield connection
