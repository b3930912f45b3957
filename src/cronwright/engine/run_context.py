"""The :class:`~cronwright.actions.base.RunContext` of a claimed run: its slot, read in its
schedule's zone, and the schedule's slot before it (the start of its data interval)."""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from cronwright import cron, domain
from cronwright.actions.base import RunContext


def of(claimed: domain.ClaimedRun) -> RunContext:
    """Computed from the schedule version that made the run, so a retry of last Tuesday's run
    (or a backfilled slot) has last Tuesday's interval whatever the schedule says today."""
    run, origin = claimed.run, claimed.origin
    if origin is None:
        return RunContext.bare(run.scheduled_for, run.trigger)
    spec = origin.spec
    expr = cron.CronExpression.shared(spec.cron, hash_key=origin.hash_key)
    # The slot before this one, with the same DST policy that made the slots. A schedule's
    # start_at is not applied: its first slot's interval is as long as any other's.
    interval_start = _slot_before(
        expr, run.scheduled_for, spec.timezone, spec.dst_gap.value, spec.dst_fold.value
    )
    return RunContext(
        scheduled_for=run.scheduled_for,
        zone=ZoneInfo(spec.timezone),
        interval_start=interval_start,
        trigger=run.trigger,
        schedule_id=origin.schedule_id,
        schedule_name=spec.name,
    )


@functools.lru_cache(maxsize=4096)
def _slot_before(
    expr: cron.CronExpression, at: datetime, timezone: str, dst_gap: str, dst_fold: str
) -> datetime | None:
    """Kept: the runs of every schedule sharing an expression and a slot (a fleet's
    ``0 * * * *``) start together and share their previous slot."""
    return expr.prev(
        at, ZoneInfo(timezone), dst_gap=cron.DstGap(dst_gap), dst_fold=cron.DstFold(dst_fold)
    )
