"""The heap settler frees what became garbage and freezes the rest, on its own loop."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cronwright.bootstrap.app import App
from cronwright.clock import FakeClock, SystemClock
from cronwright.engine import heap
from cronwright.engine.heap import HeapSettler
from cronwright.engine.loop import LoopState


class Node:
    """A reference cycle when two point at each other."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the suite runs with the collector as it found it
    gc.enable()


def test_a_cycle_that_became_garbage_while_frozen_is_freed_at_the_next_settle() -> None:
    settler = HeapSettler(SystemClock())
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    assert settler.settle() > 0
    del first, second
    gc.collect()
    assert gone() is not None  # frozen: a collection does not walk it
    settler.settle()
    assert gone() is None


def test_freezing_takes_what_lives_now_out_of_collections_until_the_next_settle() -> None:
    settler = HeapSettler(SystemClock())
    gc.unfreeze()
    settler.freeze()
    assert gc.get_freeze_count() == 0  # not before the first settle
    settler.settle()
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    settler.freeze()
    del first, second
    gc.collect()
    assert gone() is not None
    settler.settle()
    assert gone() is None


def test_a_released_settler_leaves_the_heap_unfrozen_and_freezes_no_more() -> None:
    settler = HeapSettler(SystemClock())
    settler.settle()
    assert gc.get_freeze_count() > 0
    settler.release()
    assert gc.get_freeze_count() == 0
    settler.freeze()
    assert gc.get_freeze_count() == 0


def test_a_settle_waits_for_a_quiet_moment_but_not_forever() -> None:
    gc.unfreeze()
    clock = FakeClock(datetime(2026, 12, 7, tzinfo=UTC))
    busy = [True]
    asked: list[timedelta] = []

    def quiet(within: timedelta) -> bool:
        asked.append(within)
        return not busy[0]

    settler = HeapSettler(clock, interval=timedelta(minutes=10), quiet=quiet)
    assert settler.settle_when_quiet() == clock.now() + heap.POSTPONE_STEP
    assert gc.get_freeze_count() == 0
    clock.advance(heap.POSTPONE_AT_MOST / 2)
    assert settler.settle_when_quiet() == clock.now() + heap.POSTPONE_STEP
    busy[0] = False
    assert settler.settle_when_quiet() == clock.now() + timedelta(minutes=10)
    assert gc.get_freeze_count() > 0
    assert asked == [heap.QUIET_WITHIN] * 3
    gc.unfreeze()
    busy[0] = True  # busy from now on: settled anyway once postponed for long enough
    settler.settle_when_quiet()
    clock.advance(heap.POSTPONE_AT_MOST)
    assert settler.settle_when_quiet() == clock.now() + timedelta(minutes=10)
    assert gc.get_freeze_count() > 0


def test_the_loop_settles_once_warm_and_stays_healthy() -> None:
    gc.unfreeze()
    settler = HeapSettler(
        SystemClock(), warm_up=timedelta(milliseconds=50), interval=timedelta(hours=1)
    )
    assert gc.get_freeze_count() == 0
    settler.loop.start()
    try:
        for _ in range(200):
            if settler.loop.health().last_success_at is not None:
                break
            threading.Event().wait(0.05)
        health = settler.loop.health()
        assert (health.state, health.failures) == (LoopState.OK, 0)
        assert health.last_success_at is not None
        assert gc.get_freeze_count() > 0
    finally:
        settler.loop.stop()


def test_an_app_settles_its_heap_unless_told_not_to(tmp_path: Path) -> None:
    settling = App(f"sqlite:///{tmp_path}/a.db", quiet=True)
    left_alone = App(f"sqlite:///{tmp_path}/b.db", quiet=True, settle_heap=False)
    try:
        assert "heap" in [loop.name for loop in settling._node.loops()]
        assert "heap" not in [loop.name for loop in left_alone._node.loops()]
        settling.start()
        heap_of_app = settling._node.heap
        assert heap_of_app is not None
        heap_of_app.settle()
        assert gc.get_freeze_count() > 0
        settling.stop()
        assert gc.get_freeze_count() == 0  # a stopped app leaves the collector as it was
    finally:
        settling.close()
        left_alone.close()


def test_the_collector_is_held_off_until_let_go_once_the_heap_is_settled() -> None:
    settler = HeapSettler(SystemClock())
    settler.hold_off()  # not settled yet: the process is not warm, nothing is changed
    assert gc.isenabled()
    settler.settle()
    settler.hold_off()
    assert not gc.isenabled()
    settler.let_go()
    assert gc.isenabled()
    settler.let_go()  # once is enough: a second does nothing
    assert gc.isenabled()
    settler.hold_off()
    settler.release()  # a stopped node lets the collector go too
    assert gc.isenabled()


def test_a_collector_the_program_turned_off_stays_off() -> None:
    settler = HeapSettler(SystemClock())
    settler.settle()
    gc.disable()
    settler.hold_off()
    settler.let_go()
    assert not gc.isenabled()
