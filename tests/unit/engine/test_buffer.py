"""The worker's buffer: runs waiting for a runner, taken oldest first from its two queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronwright.engine.buffer import RunBuffer

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def buffer() -> RunBuffer[datetime]:
    return RunBuffer(lambda at: at)


def test_runs_are_taken_in_the_order_they_became_available_across_both_queues() -> None:
    runs = buffer()
    runs.put(T0 - 2 * S)
    runs.put(T0 + S)
    runs.put_due([T0, T0, T0 + 2 * S])
    taken = []
    while (item := runs.take()) is not None:
        taken.append(item)
    assert taken == [
        (T0 - 2 * S, False),
        (T0, True),
        (T0, True),
        (T0 + S, False),
        (T0 + 2 * S, True),
    ]
    assert not runs
    assert runs.take() is None


def test_runs_handed_on_at_their_time_are_reported_waiting_until_taken() -> None:
    runs = buffer()
    runs.put(T0)
    assert not waiting(runs)
    runs.put_due([T0 + S])
    assert waiting(runs)
    assert len(runs) == 2
    assert runs.take() == (T0, False)
    assert waiting(runs)
    assert runs.take() == (T0 + S, True)
    assert not waiting(runs)


def test_a_process_that_cannot_keep_up_never_starves_runs_claimed_late() -> None:
    """Each second's runs handed on do not jump ahead of older runs claimed when due."""
    runs = buffer()
    runs.put(T0)
    for second in range(1, 4):
        runs.put_due([T0 + second * S])
        assert runs.take() is not None
    assert runs.take() == (T0 + 3 * S, True)


def test_shutdown_takes_the_newest_first() -> None:
    runs = buffer()
    runs.put(T0)
    runs.put(T0 + 2 * S)
    runs.put_due([T0 + S, T0 + 3 * S])
    assert [runs.take_newest() for _ in range(5)] == [T0 + 3 * S, T0 + 2 * S, T0 + S, T0, None]


def waiting(runs: RunBuffer[datetime]) -> bool:
    # A call, not the property: after ``assert not runs.due_waiting`` mypy would take the
    # property for False for the rest of the test.
    return runs.due_waiting
