"""The reaper: turns runs whose worker stopped renewing their lease into retries or failures.

Any process may reap (the queue locks what it reaps), so there is no reaper election: every
``cronwright worker`` and ``cronwright serve`` runs one.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from cronwright import clock, domain
from cronwright.store import queue

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(seconds=5)
DEFAULT_BATCH = 100


class Reaper:
    def __init__(
        self,
        queue: queue.RunQueue,
        clock: clock.Clock,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._interval = interval
        self._batch = batch
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def reap_once(self) -> list[domain.Run]:
        """Reap every expired lease now, a batch per transaction."""
        reaped: list[domain.Run] = []
        while True:
            batch = self._queue.reap_expired(now=self._clock.now(), limit=self._batch)
            reaped.extend(batch)
            if len(batch) < self._batch:
                return reaped

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                for run in self.reap_once():
                    log.info("reaped run %s: now %s", run.id, run.state.value)
            except Exception:  # the database may be restarting: try again next round
                log.exception("reaping failed")
            if not stop.is_set():
                self._clock.sleep_until(self._clock.now() + self._interval)

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self.run_forever, args=(self._stopping,), name="cronwright-reaper", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._clock.wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
