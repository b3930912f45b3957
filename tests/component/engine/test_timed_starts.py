"""Timed starts: items held until their time, handed on in time order, never before it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cronwright.clock import FakeClock, SystemClock
from cronwright.engine.timed_starts import TimedStarts

MS = timedelta(milliseconds=1)
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@settings(max_examples=50, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-50, max_value=2000), max_size=30),
    checks=st.lists(st.integers(min_value=-100, max_value=2100), max_size=10),
)
def test_what_is_due_comes_out_once_in_time_order_and_nothing_early(
    offsets: list[int], checks: list[int]
) -> None:
    starts: TimedStarts[int] = TimedStarts(FakeClock(T0), lambda due: None)
    starts.hold((T0 + offset * MS, n) for n, offset in enumerate(offsets))
    taken: list[int] = []
    for at in sorted(checks):
        now = T0 + at * MS
        due = starts.take_due(now)
        expected = sorted(
            (n for n, offset in enumerate(offsets) if offset <= at and n not in taken),
            key=lambda n: (offsets[n], n),
        )
        assert due == expected
        taken += due
    rest = starts.take_all()
    assert sorted(taken + rest) == list(range(len(offsets)))
    assert rest == sorted(rest, key=lambda n: (offsets[n], n))
    assert len(starts) == 0


def test_the_thread_hands_each_item_on_at_its_time() -> None:
    clock = SystemClock()
    handed: list[tuple[str, datetime]] = []
    all_handed = threading.Event()

    def on_due(items: list[str]) -> None:
        now = clock.now()
        handed.extend((item, now) for item in items)
        if len(handed) == 3:
            all_handed.set()

    starts: TimedStarts[str] = TimedStarts(clock, on_due)
    starts.start()
    begin = clock.now()
    plan = {"c": begin + 90 * MS, "a": begin + 30 * MS, "b": begin + 60 * MS}
    starts.hold((at, item) for item, at in plan.items())
    assert all_handed.wait(10)
    starts.stop()
    assert [item for item, _ in handed] == ["a", "b", "c"]
    assert all(when >= plan[item] for item, when in handed)


def test_an_earlier_item_held_later_wakes_the_thread_for_it() -> None:
    clock = SystemClock()
    handed = threading.Event()
    starts: TimedStarts[str] = TimedStarts(clock, lambda items: handed.set())
    starts.start()
    starts.hold([(clock.now() + timedelta(hours=1), "late")])
    starts.hold([(clock.now() + 10 * MS, "soon")])
    assert handed.wait(10)
    starts.stop()
    assert starts.take_all() == ["late"]
