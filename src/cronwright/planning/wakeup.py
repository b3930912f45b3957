"""When the scheduler loop should next wake up."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_MAX_POLL = timedelta(seconds=5)
# Never spin: a schedule that stays due (locked by another scheduler, or one that failed to plan)
# must not turn the loop into a busy wait.
DEFAULT_MIN_POLL = timedelta(milliseconds=200)


def next_wakeup(
    *,
    now: datetime,
    earliest_next_fire_at: datetime | None,
    lookahead: timedelta,
    max_poll: timedelta = DEFAULT_MAX_POLL,
    min_poll: timedelta = DEFAULT_MIN_POLL,
) -> datetime:
    """Wake ``lookahead`` before the earliest ``next_fire_at``, but poll at least every
    ``max_poll`` (polling is the guarantee: schedules edited by other processes, lost
    notifications) and at most every ``min_poll``."""
    wake_at = now + max_poll
    if earliest_next_fire_at is not None:
        wake_at = min(wake_at, earliest_next_fire_at - lookahead)
    return max(wake_at, now + min_poll)
