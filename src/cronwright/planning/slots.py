"""The slots of a schedule: its cron expression read in its zone, with its DST policy, bounded by
``start_at``/``end_at``. A slot before ``start_at`` or after ``end_at`` never exists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cronwright import cron, domain

TICK = timedelta(microseconds=1)  # the resolution of stored instants


@dataclass(frozen=True, slots=True)
class Cadence:
    """When a schedule fires: everything about its spec that decides its slots."""

    expr: cron.CronExpression
    zone: ZoneInfo
    dst_gap: cron.DstGap
    dst_fold: cron.DstFold
    start_at: datetime | None = None
    end_at: datetime | None = None

    @classmethod
    def of(cls, spec: domain.ScheduleSpec, *, hash_key: str) -> Cadence:
        """Parse ``spec`` (already validated when saved); ``hash_key`` seeds ``H`` fields."""
        return cls.with_expression(cron.CronExpression.shared(spec.cron, hash_key=hash_key), spec)

    @classmethod
    def with_expression(cls, expr: cron.CronExpression, spec: domain.ScheduleSpec) -> Cadence:
        """``spec`` with its expression parsed already (validation parses it to report errors)."""
        return cls(
            expr=expr,
            zone=ZoneInfo(spec.timezone),
            dst_gap=cron.DstGap(spec.dst_gap.value),
            dst_fold=cron.DstFold(spec.dst_fold.value),
            start_at=spec.start_at,
            end_at=spec.end_at,
        )

    @classmethod
    def of_schedule(cls, schedule: domain.Schedule) -> Cadence:
        return cls.of(schedule.spec, hash_key=schedule.hash_key)

    def slots(self, *, after: datetime, until: datetime | None = None) -> Iterator[datetime]:
        """Slots in ``(after, until]`` (unbounded above when ``until`` is None), oldest first,
        computed lazily, so a window of any length costs only the slots actually taken."""
        if self.start_at is not None and self.start_at > after:
            after = self.start_at - TICK  # start_at itself may be a slot
        last = self.end_at if until is None else _earlier(until, self.end_at)
        for at in self.expr.iter(after, self.zone, dst_gap=self.dst_gap, dst_fold=self.dst_fold):
            if last is not None and at > last:
                return
            yield at

    def slots_from(self, first: datetime, *, until: datetime | None = None) -> Iterator[datetime]:
        """Slots in ``[first, until]``."""
        return self.slots(after=first - TICK, until=until)

    def next_fire_at(self, *, after: datetime) -> datetime | None:
        """The first slot strictly after ``after``; None when the schedule never fires again."""
        return next(self.slots(after=after), None)


def _earlier(first: datetime, second: datetime | None) -> datetime:
    return first if second is None else min(first, second)
