"""A clock that tells the database's time, so hosts with skewed clocks still agree.

Every time comparison in the cluster (is a slot due, is a lease expired) is against the database
server's clock. Asking the server on every call would cost a round trip each time, so
:class:`DatabaseClock` reads the server's time now and then and, in between, adds the monotonic
time elapsed on this host (monotonic: immune to the host's wall clock being set or slewed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cronwright.store.database import dialect
from cronwright.store.database.column_types import UTCDateTime

log = logging.getLogger(__name__)

DEFAULT_RESYNC_EVERY = timedelta(seconds=30)


def read_database_now(engine: Engine) -> datetime:
    """The database server's current instant, aware UTC."""
    query = sa.select(sa.type_coerce(dialect.db_now(engine.dialect.name), UTCDateTime()))
    with engine.connect() as connection:
        found = connection.execute(query).scalar_one()
    assert isinstance(found, datetime)
    return found


class DatabaseClock:
    """A :class:`~cronwright.clock.Clock` on the database's time.

    ``now()`` never goes backwards, even when a resync finds the server a little behind the
    extrapolation. If a resync fails (the database is restarting), the extrapolation goes on and
    the next call tries again; only the very first reading must succeed.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        resync_every: timedelta = DEFAULT_RESYNC_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._resync_every = resync_every.total_seconds()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._synced_at = monotonic()
        self._base = read_database_now(self._engine)  # the server's time at ``_synced_at``
        self._last = self._base
        self._resyncing = False  # one thread reads the server at a time

    def now(self) -> datetime:
        with self._lock:
            resync = (
                not self._resyncing and self._monotonic() - self._synced_at >= self._resync_every
            )
            self._resyncing = self._resyncing or resync
        if resync:  # the round trip outside the lock: other threads extrapolate meanwhile
            self._resync()
        with self._lock:
            elapsed = self._monotonic() - self._synced_at
            current = max(self._last, self._base + timedelta(seconds=elapsed))
            self._last = current
            return current

    def sleep_until(self, deadline: datetime) -> None:
        remaining = (deadline - self.now()).total_seconds()
        if remaining > 0:
            self._woken.wait(remaining)
        self._woken.clear()

    def wake(self) -> None:
        if not self._woken.is_set():  # (as SystemClock.wake)
            self._woken.set()

    def _resync(self) -> None:
        before = self._monotonic()
        try:
            server_now = read_database_now(self._engine)
        except Exception:  # unreachable, restarting, pool exhausted: all mean "not now"
            log.warning("cannot read the database clock; extrapolating", exc_info=True)
            with self._lock:
                # Carry on from the extrapolation, and try again after another interval.
                self._base += timedelta(seconds=before - self._synced_at)
                self._synced_at = before
                self._resyncing = False
            return
        after = self._monotonic()
        with self._lock:
            self._synced_at = (before + after) / 2  # the reading is from mid round trip
            self._base = server_now
            self._resyncing = False
