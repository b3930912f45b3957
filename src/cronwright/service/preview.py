"""Preview: the next fire times of a schedule or a bare expression, described and DST-marked."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from cronwright import errors
from cronwright.service.timing import Timing, dst_mark

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


def preview(timing: Timing, *, after: datetime, count: int) -> Preview:
    if not 1 <= count <= MAX_PREVIEW:
        raise errors.InvalidInput(field="count", message=f"must be between 1 and {MAX_PREVIEW}")
    fires = tuple(
        PreviewFire(
            at=at,
            local=at.astimezone(timing.zone),
            dst=dst_mark(timing.expr, at, timing.zone),
        )
        for at in itertools.islice(timing.fires(after=after), count)
    )
    return Preview(description=timing.expr.describe(), timezone=timing.zone.key, fires=fires)
