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
