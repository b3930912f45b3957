"""The reaper: turns runs whose worker stopped renewing their lease into retries or failures.

Any process may reap (the queue locks what it reaps), so there is no reaper election: every
``cronwright worker`` and ``cronwright serve`` runs one.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from cronwright import clock, domain
from cronwright.engine import loop
from cronwright.store import contracts

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(seconds=5)
DEFAULT_BATCH = 100


class Reaper:
    def __init__(
        self,
        queue: contracts.RunQueue,
        clock: clock.Clock,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        batch: int = DEFAULT_BATCH,
        live_window: timedelta | None = None,
    ) -> None:
        """``live_window``: also give runs no worker that beat within it can execute their
        reason for waiting (capability routing); None: reap only."""
        self._queue = queue
        self._clock = clock
        self._interval = interval
        self._batch = batch
        self._live_window = live_window
        self.loop = loop.Loop("reaper", self._round, clock, interval=interval)

    def reap_once(self) -> list[domain.Run]:
        """Reap every expired lease now, a batch per transaction."""
        reaped: list[domain.Run] = []
        while True:
            batch = self._queue.reap_expired(now=self._clock.now(), limit=self._batch)
            reaped.extend(batch)
            if len(batch) < self._batch:
                return reaped

    def run_forever(self, stop: threading.Event) -> None:
        self.loop.run(stop)

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()

    def _round(self) -> None:
        for run in self.reap_once():
            log.info("reaped run %s: now %s", run.id, run.state.value)
        if self._live_window is not None:
            now = self._clock.now()
            waiting = self._queue.explain_waiting(now=now, live_since=now - self._live_window)
            if waiting:
                log.warning("%d pending run(s) wait for a worker that can run them", waiting)
