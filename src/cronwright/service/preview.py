"""Preview: the next fire times of a schedule or a bare expression, described and DST-marked."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from cronwright import cron, errors
from cronwright.planning.slots import TICK, Cadence

MAX_PREVIEW = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewFire:
    at: datetime  # UTC
    local: datetime  # the same instant in the schedule's zone
    dst: str | None  # "shifted", "first occurrence", "second occurrence" or None


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    description: str
    timezone: str
    fires: tuple[PreviewFire, ...]


def preview(cadence: Cadence, *, after: datetime, count: int) -> Preview:
    if not 1 <= count <= MAX_PREVIEW:
        raise errors.InvalidInput(field="count", message=f"must be between 1 and {MAX_PREVIEW}")
    fires = tuple(
        PreviewFire(
            at=at,
            local=at.astimezone(cadence.zone),
            dst=dst_mark(cadence.expr, at, cadence.zone),
        )
        for at in itertools.islice(cadence.slots(after=after), count)
    )
    return Preview(description=cadence.expr.describe(), timezone=cadence.zone.key, fires=fires)


def dst_mark(expr: cron.CronExpression, at: datetime, zone: tzinfo) -> str | None:
    """How DST bent the fire time ``at``: ``"first occurrence"`` / ``"second occurrence"`` for a
    wall time that happens twice, ``"shifted"`` for one moved to a spring-forward transition
    because its wall time did not exist, None otherwise."""
    local = at.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if (
        wall.replace(tzinfo=zone, fold=0).utcoffset()
        != wall.replace(tzinfo=zone, fold=1).utcoffset()
    ):
        return "second occurrence" if local.fold else "first occurrence"
    offset = local.utcoffset()
    offset_before = (at - TICK).astimezone(zone).utcoffset()
    assert offset is not None
    assert offset_before is not None
    # At a spring-forward instant a fire is shifted unless its own wall time matches anyway.
    if offset > offset_before and expr.next(at - TICK, timezone(offset)) != at:
        return "shifted"
    return None
