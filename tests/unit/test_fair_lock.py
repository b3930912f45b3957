"""The process's SQLite write gate: reentrant, handed over in the order it was asked for."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from cronwright.store.database.write_gate import FairLock


def _queue_up(lock: FairLock, count: int, taken: list[int]) -> list[threading.Thread]:
    """``count`` threads asking for ``lock`` one after the other (each waiting before the next
    asks), each noting its number once it has the lock."""

    def take(number: int) -> None:
        with lock:
            taken.append(number)

    threads = []
    for number in range(count):
        thread = threading.Thread(target=take, args=(number,))
        thread.start()
        threads.append(thread)
        while lock.waiting < number + 1:
            threading.Event().wait(0.001)
    return threads


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1, max_value=6))
def test_waiters_take_the_lock_in_the_order_they_asked(count: int) -> None:
    lock = FairLock()
    taken: list[int] = []
    with lock:
        threads = _queue_up(lock, count, taken)
    for thread in threads:
        thread.join(10)
    assert taken == list(range(count))


def test_a_thread_asking_again_at_once_goes_behind_the_waiters() -> None:
    lock = FairLock()
    taken: list[int] = []
    with lock:
        threads = _queue_up(lock, 2, taken)
    with lock:  # asked right after letting go: the two waiters come first
        taken.append(-1)
    for thread in threads:
        thread.join(10)
    assert taken == [0, 1, -1]


def test_the_owner_may_take_it_again_inside() -> None:
    lock = FairLock()
    taken: list[int] = []
    with lock, lock:
        threads = _queue_up(lock, 1, taken)
        taken.append(-1)
    for thread in threads:
        thread.join(10)
    assert taken == [-1, 0]
