"""When the scheduler loop should next wake up."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_MAX_POLL = timedelta(seconds=5)
# Never spin: a schedule that stays due (locked by another scheduler, or one that failed to plan)
# must not turn the loop into a busy wait.
DEFAULT_MIN_POLL = timedelta(milliseconds=200)
# Cron slots fall on whole seconds, where workers start runs; writing the slots of a second
# half a second after it came within the lookahead keeps that work away from those starts.
DEFAULT_OFF_BEAT = timedelta(milliseconds=500)


def next_wakeup(
    *,
    now: datetime,
    earliest_next_fire_at: datetime | None,
    lookahead: timedelta,
    max_poll: timedelta = DEFAULT_MAX_POLL,
    min_poll: timedelta = DEFAULT_MIN_POLL,
    off_beat: timedelta = timedelta(0),
) -> datetime:
    """Wake ``lookahead`` before the earliest ``next_fire_at``, but poll at least every
    ``max_poll`` (polling is the guarantee: schedules edited by other processes, lost
    notifications) and at most every ``min_poll``. ``off_beat``: wake that much later than
    ``lookahead`` before (at most half the lookahead), off the instants slots fall on."""
    wake_at = now + max_poll
    if earliest_next_fire_at is not None:
        late = min(off_beat, lookahead / 2)
        wake_at = min(wake_at, earliest_next_fire_at - lookahead + late)
    return max(wake_at, now + min_poll)
