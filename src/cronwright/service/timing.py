"""Fire-time arithmetic for a schedule: its cron expression bounded by ``start_at``/``end_at``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from cronwright import cron, domain

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Timing:
    """A parsed, validated schedule spec, ready to compute fire times."""

    expr: cron.CronExpression
    zone: ZoneInfo
    dst_gap: cron.DstGap
    dst_fold: cron.DstFold
    start_at: datetime | None
    end_at: datetime | None

    @classmethod
    def of(cls, expr: cron.CronExpression, spec: domain.ScheduleSpec) -> Timing:
        return cls(
            expr=expr,
            zone=ZoneInfo(spec.timezone),
            dst_gap=cron.DstGap(spec.dst_gap.value),
            dst_fold=cron.DstFold(spec.dst_fold.value),
            start_at=spec.start_at,
            end_at=spec.end_at,
        )

    def fires(self, *, after: datetime) -> Iterator[datetime]:
        """Fire instants strictly after ``after``, not before ``start_at``, not after ``end_at``."""
        if self.start_at is not None and self.start_at > after:
            after = self.start_at - _TICK  # start_at itself may fire
        for at in self.expr.iter(after, self.zone, dst_gap=self.dst_gap, dst_fold=self.dst_fold):
            if self.end_at is not None and at > self.end_at:
                return
            yield at

    def next_fire(self, *, after: datetime) -> datetime | None:
        return next(self.fires(after=after), None)


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
    offset_before = (at - _TICK).astimezone(zone).utcoffset()
    assert offset is not None
    assert offset_before is not None
    # At a spring-forward instant a fire is shifted unless its own wall time matches anyway.
    if offset > offset_before and expr.next(at - _TICK, timezone(offset)) != at:
        return "shifted"
    return None
