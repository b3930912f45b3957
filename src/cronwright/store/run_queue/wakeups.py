"""Wake-ups that cut the workers' poll wait short when pending runs appear.

Polling is the guarantee; these only reduce latency, so every failure here is logged and ignored.

- :class:`LocalWakeups`: in-process, for SQLite (or anything sharing a process): whoever writes
  pending runs calls :meth:`~LocalWakeups.notify` after committing.
- :class:`PostgresListener`: a thread holding one psycopg connection that ``LISTEN`` s on
  :data:`RUNS_CHANNEL`; writers ``NOTIFY`` it inside their transaction (delivered at commit, to
  every process of the cluster). It reconnects after the server restarts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

RUNS_CHANNEL = "cronwright_runs"  # "pending runs were written"; the scheduler notifies it too
_RECONNECT_DELAY_SECONDS = 1.0
_POLL_SECONDS = 0.5  # how often the listener thread checks that it should stop

Callback = Callable[[], None]


class LocalWakeups:
    """An in-process fan-out: :meth:`notify` calls every subscribed callback."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callback) -> None:
        with self._lock:
            self._callbacks.append(callback)

    def unsubscribe(self, callback: Callback) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def notify(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a wake-up callback failed")


class PostgresListener:
    """Calls ``callback`` whenever a ``NOTIFY`` arrives on :data:`RUNS_CHANNEL`, and once after
    each (re)connection, since notifications sent while disconnected are lost."""

    def __init__(self, engine: Engine, callback: Callback) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._callback = callback
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="cronwright-listen", daemon=True)

    def start(self) -> PostgresListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {RUNS_CHANNEL}")
                    self._callback()
                    while not self._stopped.is_set():
                        for _ in connection.notifies(timeout=_POLL_SECONDS, stop_after=1):
                            self._callback()
            except Exception:
                if self._stopped.is_set():
                    return
                log.warning("lost the LISTEN connection; reconnecting", exc_info=True)
                self._stopped.wait(_RECONNECT_DELAY_SECONDS)
