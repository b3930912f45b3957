"""One primitive for every periodic thread: the scheduler, the reaper, the alerter, the worker's
heartbeat, the statistics line, the metrics refresh and history pruning.

A :class:`Loop` calls its ``round`` over and over; a round returns when the next one is due (None:
after the loop's interval). It never dies of an error: any exception a round raises is logged
(one line with the traceback) and the round is tried again after an exponential backoff (1, 2,
4... s up to a minute by default). Each loop keeps a health state that readiness, metrics and
``cronwright status`` report:

- ``ok``: the last round succeeded;
- ``failing``: the last round raised (with how many in a row, and the last error);
- ``stalled``: a round has run longer than ``stall_after``, or the thread is gone;
- ``stopped``: not started, or stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cronwright import clock as clocks

log = logging.getLogger(__name__)

DEFAULT_BACKOFF_INITIAL = timedelta(seconds=1)
DEFAULT_BACKOFF_MAX = timedelta(seconds=60)
DEFAULT_STALL_AFTER = timedelta(minutes=2)

Round = Callable[[], datetime | None]


class LoopState(StrEnum):
    OK = "ok"
    FAILING = "failing"
    STALLED = "stalled"
    STOPPED = "stopped"

    @property
    def healthy(self) -> bool:
        return self in (LoopState.OK, LoopState.STOPPED)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopHealth:
    name: str
    state: LoopState
    last_success_at: datetime | None  # on the loop's clock
    failures: int  # rounds failed in a row
    last_error: str | None

    @property
    def problem(self) -> str | None:
        """One line for readiness: None when healthy."""
        if self.state.healthy:
            return None
        if self.state is LoopState.STALLED:
            return f"loop {self.name} is stalled"
        return f"loop {self.name} is failing ({self.failures} in a row): {self.last_error}"


class Loop:
    """Runs ``round`` in a thread of its own (:meth:`start`) or the caller's (:meth:`run`).

    ``clock`` times the rounds and their sleeps (so tests drive them with a fake clock) and is
    woken by :meth:`wake` and :meth:`stop`; with ``sleep_on_clock=False`` the loop sleeps on its
    own event instead (its clock is shared with a loop whose wake-ups are not its own).
    ``initial_delay``: wait this long before the first round (else it runs at once). The backoff
    after a failure waits on a plain event: a clock that fails to read the database must not
    stop the loop from waiting.
    """

    def __init__(
        self,
        name: str,
        round: Round,
        clock: clocks.Clock,
        *,
        interval: timedelta,
        backoff_initial: timedelta = DEFAULT_BACKOFF_INITIAL,
        backoff_max: timedelta = DEFAULT_BACKOFF_MAX,
        stall_after: timedelta = DEFAULT_STALL_AFTER,
        initial_delay: timedelta | None = None,
        sleep_on_clock: bool = True,
        on_failure: Callable[[], None] | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._round = round
        self._clock = clock
        self._interval = interval
        self._backoff_initial = backoff_initial.total_seconds()
        self._backoff_max = backoff_max.total_seconds()
        self._stall_after = stall_after.total_seconds()
        self._initial_delay = initial_delay
        self._sleep_on_clock = sleep_on_clock
        self._on_failure = on_failure
        self._timer = timer
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = False
        self._died = False
        self._round_started: float | None = None
        self._last_success_at: datetime | None = None
        self._failures = 0
        self._last_error: str | None = None

    # -- control ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        with self._lock:
            self._running, self._died = True, False
        name = f"cronwright-{self.name}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: timedelta | None = None) -> None:
        """Make the loop end after the round in progress, if any, and wait for it."""
        self._stopping.set()
        self._clock.wake()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(None if timeout is None else timeout.total_seconds())

    def wake(self) -> None:
        """Run the next round now rather than at its planned time."""
        self._clock.wake()

    def run(self, stop: threading.Event | None = None) -> None:
        """Run rounds on the calling thread until ``stop`` is set or :meth:`stop` is called."""
        with self._lock:
            self._running = True
        try:
            if self._initial_delay is not None:
                self._stopping.wait(self._initial_delay.total_seconds())
            while not self._should_stop(stop):
                deadline, delay = self._one_round()
                if self._should_stop(stop):
                    break
                if deadline is not None:
                    try:
                        self._sleep_until(deadline)
                        continue
                    except Exception:
                        log.exception("loop %s could not sleep on its clock", self.name)
                        delay = self._interval.total_seconds()
                self._stopping.wait(delay)
        finally:
            with self._lock:
                self._running = False
                # Ended without being asked (a BaseException): say so, never "stopped".
                self._died = not self._should_stop(stop)

    # -- health -----------------------------------------------------------------------------------

    def health(self) -> LoopHealth:
        with self._lock:
            state = LoopState.OK
            if self._died:
                state = LoopState.STALLED
            elif not self._running:
                state = LoopState.STOPPED
            elif (self._thread is not None and not self._thread.is_alive()) or (
                self._round_started is not None
                and self._timer() - self._round_started > self._stall_after
            ):
                state = LoopState.STALLED
            elif self._failures:
                state = LoopState.FAILING
            return LoopHealth(
                name=self.name,
                state=state,
                last_success_at=self._last_success_at,
                failures=self._failures,
                last_error=self._last_error,
            )

    # -- inside ------------------------------------------------------------------------------------

    def _run(self) -> None:
        self.run()

    def _one_round(self) -> tuple[datetime | None, float]:
        """Run one round; the deadline of the next one, or (None, the backoff) after a failure."""
        with self._lock:
            self._round_started = self._timer()
        try:
            planned = self._round()
            now = self._clock.now()
            with self._lock:
                self._failures = 0
                self._last_error = None
                self._last_success_at = now
            return (planned if planned is not None else now + self._interval), 0.0
        except Exception as exc:  # whatever it is: log, back off, try again
            with self._lock:
                self._failures += 1
                failures = self._failures
                self._last_error = _one_line(exc)
            delay = min(self._backoff_max, self._backoff_initial * 2 ** min(failures - 1, 30))
            log.warning(
                "loop %s failed (%d in a row); next try in %gs",
                self.name,
                failures,
                delay,
                exc_info=True,
                extra={"event": "loop_failed", "loop": self.name, "failures": failures},
            )
            if self._on_failure is not None:
                self._on_failure()
            return None, delay
        finally:
            with self._lock:
                self._round_started = None

    def _sleep_until(self, deadline: datetime) -> None:
        if self._sleep_on_clock:
            self._clock.sleep_until(deadline)
        else:  # a clock shared with another loop: its wake-ups stay that loop's
            self._stopping.wait(max(0.0, (deadline - self._clock.now()).total_seconds()))

    def _should_stop(self, stop: threading.Event | None) -> bool:
        return self._stopping.is_set() or (stop is not None and stop.is_set())


class Loops:
    """The loops of one process, for readiness, metrics and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: list[Loop] = []

    def add(self, loop: Loop) -> Loop:
        with self._lock:
            self._loops = [known for known in self._loops if known is not loop] + [loop]
        return loop

    def health(self) -> list[LoopHealth]:
        with self._lock:
            loops = list(self._loops)
        return [loop.health() for loop in loops]

    def problems(self) -> Sequence[str]:
        return [found.problem for found in self.health() if found.problem is not None]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
