"""The scheduler loop: materialise due slots into runs, sleep until the next one is near.

Any number of schedulers may run against one database (threads, processes, hosts): the store's
locking shares the work between them and its constraint keeps each slot to one run, so there is
no leader to elect and none to lose.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright import clock as clocks
from cronwright import domain
from cronwright.engine import loop
from cronwright.planning import materialize, wakeup
from cronwright.store import contracts

log = logging.getLogger(__name__)

DEFAULT_LOOKAHEAD = timedelta(seconds=10)
DEFAULT_ERROR_BACKOFF = timedelta(seconds=2)
TICK_SAMPLES = 1000  # tick durations kept for percentiles
# A tick stops looping after this many full batches in a row, to sleep (and notice a stop) once in
# a while even under a flood; the next tick carries on where it stopped.
MAX_PASSES_PER_TICK = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerSettings:
    lookahead: timedelta = DEFAULT_LOOKAHEAD  # write a slot's run this long before it is due
    batch: int = contracts.DEFAULT_BATCH  # schedules per transaction
    max_poll: timedelta = wakeup.DEFAULT_MAX_POLL
    min_poll: timedelta = wakeup.DEFAULT_MIN_POLL
    # Wake this much after a slot came within the lookahead: off the whole seconds (see
    # planning.wakeup.next_wakeup).
    off_beat: timedelta = wakeup.DEFAULT_OFF_BEAT
    error_backoff: timedelta = DEFAULT_ERROR_BACKOFF  # pause after a failed tick
    planner: materialize.SlotPlanner = field(default_factory=materialize.SlotPlanner)


@dataclass(frozen=True, slots=True, kw_only=True)
class TickReport:
    passes: int
    schedules: int
    pending: int
    missed: int
    existing: int
    failed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerStats:
    """A snapshot for the runtime and metrics."""

    ticks: int
    failed_ticks: int
    runs_materialized: dict[domain.RunState, int]  # PENDING and MISSED
    existing_slots: int  # slots offered that already had a run (replays, other schedulers)
    unplannable: int  # schedule plans that raised
    last_tick_at: datetime | None
    last_tick_duration: timedelta | None
    tick_durations: tuple[timedelta, ...]  # the latest ones, oldest first, for percentiles


class Scheduler:
    """Runs :meth:`tick` whenever a slot comes within ``lookahead``, and at least every
    ``max_poll`` (schedules created or edited by other processes; lost notifications).

    ``timer`` measures tick durations for statistics only; decisions use ``clock``.
    """

    def __init__(
        self,
        store: contracts.SlotLedger,
        clock: clocks.Clock,
        settings: SchedulerSettings | None = None,
        *,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._store = store
        self._clock = clock
        self.settings = settings or SchedulerSettings()
        self._timer = timer
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._ticks = 0
        self._failed_ticks = 0
        self._pending = 0
        self._missed = 0
        self._existing = 0
        self._unplannable = 0
        self._last_tick_at: datetime | None = None
        self._durations: collections.deque[timedelta] = collections.deque(maxlen=TICK_SAMPLES)
        self.loop = loop.Loop(
            "scheduler",
            self._round,
            clock,
            interval=self.settings.max_poll,
            backoff_initial=self.settings.error_backoff,
            on_failure=self._failed,
        )

    def tick(self) -> TickReport:
        """Materialise everything due now: one pass, repeated while a pass says more is due."""
        started = self._timer()
        now = self._clock.now()
        totals = collections.Counter[str]()
        passes = 0
        # A read first: when no schedule is due within the lookahead (an idle process, most
        # ticks), no write transaction is opened at all.
        earliest = self._store.earliest_next_fire_at()
        nothing_due = earliest is None or earliest > now + self.settings.lookahead
        while not nothing_due and passes < MAX_PASSES_PER_TICK and not self._stopping.is_set():
            done = self._store.materialize(
                now=now,
                lookahead=self.settings.lookahead,
                batch=self.settings.batch,
                plan=self.settings.planner,
            )
            passes += 1
            totals.update(
                schedules=done.schedules,
                pending=done.pending,
                missed=done.missed,
                existing=done.existing,
                failed=done.failed,
            )
            if not done.more:
                break
        report = TickReport(
            passes=passes,
            schedules=totals["schedules"],
            pending=totals["pending"],
            missed=totals["missed"],
            existing=totals["existing"],
            failed=totals["failed"],
        )
        with self._lock:
            self._ticks += 1
            self._pending += report.pending
            self._missed += report.missed
            self._existing += report.existing
            self._unplannable += report.failed
            self._last_tick_at = now
            self._durations.append(timedelta(seconds=self._timer() - started))
        return report

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Tick and sleep on the calling thread until ``stop`` is set or :meth:`stop` is called.
        A failed tick, whatever the error (the database restarting, a pool exhausted), is
        logged and retried after a backoff from ``error_backoff`` up to a minute."""
        self.loop.run(stop)

    def start(self) -> None:
        """Run :meth:`run_forever` in a thread of its own."""
        self._stopping.clear()
        self.loop.start()

    def wake(self) -> None:
        """Tick now rather than at the planned wake-up: a schedule was created or changed."""
        self._clock.wake()

    def stop(self) -> None:
        """Make the loop return soon (after the pass in progress, if any) and wait for it."""
        self._stopping.set()
        self.loop.stop()

    def _round(self) -> datetime:
        self.tick()
        return wakeup.next_wakeup(
            now=self._clock.now(),
            earliest_next_fire_at=self._store.earliest_next_fire_at(),
            lookahead=self.settings.lookahead,
            max_poll=self.settings.max_poll,
            min_poll=self.settings.min_poll,
            off_beat=self.settings.off_beat,
        )

    def _failed(self) -> None:
        with self._lock:
            self._failed_ticks += 1

    def stats(self) -> SchedulerStats:
        with self._lock:
            return SchedulerStats(
                ticks=self._ticks,
                failed_ticks=self._failed_ticks,
                runs_materialized={
                    domain.RunState.PENDING: self._pending,
                    domain.RunState.MISSED: self._missed,
                },
                existing_slots=self._existing,
                unplannable=self._unplannable,
                last_tick_at=self._last_tick_at,
                last_tick_duration=self._durations[-1] if self._durations else None,
                tick_durations=tuple(self._durations),
            )
