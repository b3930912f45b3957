"""Where wall-clock time and instants part ways: DST gaps and folds, and their transitions."""

from __future__ import annotations

import enum
import functools
from datetime import UTC, datetime, timedelta, tzinfo

_SECOND = timedelta(seconds=1)


class DstGap(enum.StrEnum):
    """What a fire time inside a spring-forward gap (a wall time that does not exist) does."""

    AUTO = "auto"  # SHIFT for fixed-time expressions, SKIP for the others (ISC/Vixie cron)
    SHIFT = "shift"  # fire once, at the transition instant
    SKIP = "skip"  # do not fire


class DstFold(enum.StrEnum):
    """Which occurrences of a repeated wall time (a fall-back fold) fire."""

    AUTO = "auto"  # FIRST for fixed-time expressions, BOTH for the others (ISC/Vixie cron)
    FIRST = "first"
    LAST = "last"
    BOTH = "both"


class DstMark(enum.StrEnum):
    """How DST bent a fire time; absent for ordinary ones."""

    SHIFTED = "shifted"  # its wall time did not exist; it fired at the transition instead
    FIRST_OCCURRENCE = "first occurrence"  # its wall time happens twice; this is the first
    SECOND_OCCURRENCE = "second occurrence"  # ... and this the second


@functools.lru_cache(maxsize=4096)
def transition(zone: tzinfo, low: datetime, high: datetime) -> datetime:
    """The instant in ``(low, high]`` (UTC, whole seconds) where the zone's offset changes.

    ``low`` carries the offset before the change and ``high`` the one after; the search halves
    the interval on whole seconds, which is what tz data uses.
    """
    before = low.astimezone(zone).utcoffset()
    lo, hi = low, high
    while hi - lo > _SECOND:
        middle = lo + timedelta(seconds=(hi - lo) // _SECOND // 2)
        if middle.astimezone(zone).utcoffset() == before:
            lo = middle
        else:
            hi = middle
    return hi


def offsets(wall: datetime, zone: tzinfo) -> tuple[timedelta, timedelta]:
    """The UTC offsets of a naive wall time read with ``fold=0`` and ``fold=1``.

    Equal for ordinary times; ``fold=0`` is smaller inside a gap and larger inside a fold.
    """
    first = wall.replace(tzinfo=zone).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None  # a tzinfo that gives offsets
    assert second is not None
    return first, second


def transition_around(
    wall: datetime, zone: tzinfo, offset0: timedelta, offset1: timedelta
) -> tuple[datetime, timedelta, timedelta]:
    """For a naive wall time in a gap or fold, whose offsets read with fold=0 and fold=1 are
    ``offset0`` and ``offset1``: the transition instant, the offset before it and the one after.

    PEP 495: in a gap and in a fold alike, fold=0 reads the offset in force before the change.
    """
    low = (wall - max(offset0, offset1)).replace(tzinfo=UTC)
    high = (wall - min(offset0, offset1)).replace(tzinfo=UTC)
    return transition(zone, low, high), offset0, offset1
