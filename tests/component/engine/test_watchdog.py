"""The watchdog expires watched steps at their deadline or their run's interrupt, once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from cronwright.clock import FakeClock
from cronwright.engine.watchdog import Watchdog

CHECK = timedelta(milliseconds=5)


def test_a_step_expires_once_its_deadline_passes(t0: datetime) -> None:
    clock = FakeClock(t0)
    watchdog = Watchdog(clock, check_every=CHECK)
    expired = threading.Event()
    calls: list[str] = []

    def expire() -> None:
        calls.append("expired")
        expired.set()

    watchdog.watch(t0 + timedelta(seconds=30), threading.Event(), expire)
    assert not expired.wait(0.1)  # the fake clock has not moved: not due
    clock.advance(timedelta(seconds=30))
    assert expired.wait(5)
    assert not threading.Event().wait(0.05)  # a few more checks pass
    assert calls == ["expired"]
    assert watchdog.watching == 0


def test_an_interrupted_run_expires_its_step_before_the_deadline(t0: datetime) -> None:
    watchdog = Watchdog(FakeClock(t0), check_every=CHECK)
    interrupt, expired = threading.Event(), threading.Event()
    watchdog.watch(t0 + timedelta(hours=1), interrupt, expired.set)
    interrupt.set()
    assert expired.wait(5)


def test_an_unwatched_step_never_expires(t0: datetime) -> None:
    clock = FakeClock(t0)
    watchdog = Watchdog(clock, check_every=CHECK)
    expired = threading.Event()
    token = watchdog.watch(t0 + timedelta(seconds=1), threading.Event(), expired.set)
    watchdog.unwatch(token)
    clock.advance(timedelta(seconds=2))
    assert not expired.wait(0.1)


def test_the_thread_ends_when_idle_and_a_new_watch_starts_it_again(t0: datetime) -> None:
    clock = FakeClock(t0)
    watchdog = Watchdog(clock, check_every=CHECK, linger=timedelta(milliseconds=20))
    first = threading.Event()
    watchdog.watch(t0, threading.Event(), first.set)
    assert first.wait(5)
    ended = threading.Event()
    for _ in range(500):  # lingers 20 ms, then ends
        if not watchdog.running:
            ended.set()
            break
        threading.Event().wait(0.01)
    assert ended.is_set()
    second = threading.Event()
    watchdog.watch(t0, threading.Event(), second.set)
    assert second.wait(5)


class _RacedWatchdog(Watchdog):
    """Lands a watch from another thread just as its idle thread decides to end: the watch
    takes no lock, and it sees the thread still there."""

    def __init__(self, clock: FakeClock, at: datetime) -> None:
        super().__init__(clock, check_every=CHECK, linger=CHECK)
        self.raced = threading.Event()
        self._at = at
        self._landed = False

    def _end(self) -> bool:
        if not self._landed:
            self._landed = True
            other = threading.Thread(
                target=lambda: self.watch(self._at, threading.Event(), self.raced.set)
            )
            other.start()
            other.join()
        return super()._end()


def test_a_watch_made_while_the_thread_ends_is_still_looked_at(t0: datetime) -> None:
    watchdog = _RacedWatchdog(FakeClock(t0), t0)
    first = threading.Event()
    watchdog.watch(t0, threading.Event(), first.set)
    assert first.wait(5)
    assert watchdog.raced.wait(5), "the watch made as the thread ended was left unwatched"


class _ProbingClock:
    """A clock that, whenever the watchdog's thread reads it, checks from another thread that
    the watchdog still answers (its lock is free): a clock read may be a database round trip."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.watchdog: Watchdog | None = None
        self.answered: list[bool] = []

    def now(self) -> datetime:
        if threading.current_thread().name == "cronwright-watchdog" and self.watchdog is not None:
            watchdog, done = self.watchdog, threading.Event()

            def probe() -> None:  # what a runner does around a step
                watchdog.unwatch(watchdog.watch(datetime.max, threading.Event(), lambda: None))
                done.set()

            threading.Thread(target=probe, daemon=True).start()
            self.answered.append(done.wait(2))
        return self._clock.now()

    def sleep_until(self, deadline: datetime) -> None:
        self._clock.sleep_until(deadline)

    def wake(self) -> None:
        self._clock.wake()


def test_the_watchdog_never_holds_its_lock_while_it_reads_the_clock(t0: datetime) -> None:
    fake = FakeClock(t0)
    clock = _ProbingClock(fake)
    watchdog = Watchdog(clock, check_every=CHECK)
    clock.watchdog = watchdog
    expired = threading.Event()
    watchdog.watch(t0 + timedelta(seconds=1), threading.Event(), expired.set)
    fake.advance(timedelta(seconds=1))
    assert expired.wait(10)
    assert clock.answered, "the watchdog read no clock"
    assert all(clock.answered), "a runner would have waited for the watchdog's clock read"
