"""What the pages show, gathered from the service layer for one organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronwright import domain, errors, service
from cronwright.cron import CronExpression

HOUR = timedelta(hours=1)
FAILING_SCAN = 200  # newest failed runs read to find the failing schedules
FAILED_STATES = frozenset({domain.RunState.FAILED, domain.RunState.TIMED_OUT})


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleRow:
    schedule: domain.Schedule
    description: str
    next_local: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    runs_by_state: dict[str, int]
    queue_depth: int  # pending runs that may start now
    upcoming: list[ScheduleRow]
    failures: list[domain.Run]
    hourly: list[tuple[datetime, dict[domain.RunState, int]]]  # oldest hour first
    failing: list[FailingSchedule]


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingSchedule:
    schedule: domain.Schedule
    failures: int  # among the newest failed runs read
    last: domain.Run


def describe(schedule: domain.Schedule) -> str:
    try:
        return CronExpression.parse(schedule.spec.cron, hash_key=schedule.hash_key).describe()
    except errors.CronSyntaxError:  # saved by an older release with laxer rules
        return "(not a valid expression)"


def schedule_row(schedule: domain.Schedule) -> ScheduleRow:
    at = schedule.next_fire_at
    local = at.astimezone(ZoneInfo(schedule.spec.timezone)) if at is not None else None
    return ScheduleRow(schedule=schedule, description=describe(schedule), next_local=local)


def _runs(
    svc: service.Service, org_id: domain.OrganizationId, where: domain.RunFilter, most: int
) -> list[domain.Run]:
    """Up to ``most`` runs, newest first, paging through the service."""
    found: list[domain.Run] = []
    cursor: str | None = None
    while len(found) < most:
        page = svc.runs.list(
            org_id, where, cursor=cursor, limit=min(domain.MAX_PAGE_SIZE, most - len(found))
        )
        found.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found


def hourly(
    svc: service.Service, org_id: domain.OrganizationId, now: datetime
) -> list[tuple[datetime, dict[domain.RunState, int]]]:
    """Runs by slot hour and state for the last 24 hours, the current hour last."""
    top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + HOUR
    hours = [top - HOUR * n for n in range(24, 0, -1)]
    counted = svc.runs.count_by_hour(org_id, since=hours[0], until=top)
    return [
        (start, {state: counted.get((start, state), 0) for state in domain.RunState})
        for start in hours
    ]


def failing(svc: service.Service, org_id: domain.OrganizationId) -> list[FailingSchedule]:
    """Schedules among the newest failed runs, most failures first: where to look first."""
    found: dict[domain.ScheduleId, list[domain.Run]] = {}
    for run in _runs(svc, org_id, domain.RunFilter(states=FAILED_STATES), FAILING_SCAN):
        if run.schedule_id is not None:
            found.setdefault(run.schedule_id, []).append(run)
    schedules = svc.schedules.get_many(org_id, found)  # deleted ones are left out
    rows = [
        FailingSchedule(schedule=schedules[sid], failures=len(runs), last=runs[0])
        for sid, runs in found.items()
        if sid in schedules
    ]
    rows.sort(key=lambda row: (-row.failures, -row.last.id))
    return rows[:10]


def overview(svc: service.Service, org_id: domain.OrganizationId, now: datetime) -> Overview:
    by_hour = hourly(svc, org_id, now)
    # The cards total the chart's 24 hours (the current one included): one pass over the runs.
    counts = {state.value: sum(hour[state] for _, hour in by_hour) for state in domain.RunState}
    pending = domain.RunFilter(states=frozenset({domain.RunState.PENDING}))
    due = svc.runs.count(org_id, pending, available_by=now)[domain.RunState.PENDING]
    return Overview(
        runs_by_state=counts,
        queue_depth=due,
        upcoming=[schedule_row(schedule) for schedule in svc.schedules.upcoming(org_id)],
        failures=_runs(svc, org_id, domain.RunFilter(states=FAILED_STATES), 10),
        hourly=by_hour,
        failing=failing(svc, org_id),
    )


def _span(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"


def settings(spec: domain.ScheduleSpec) -> list[tuple[str, str]]:
    """Every setting of ``spec`` as (label, text), in the order a person reads them."""
    return [
        ("Expression", spec.cron),
        ("Zone", spec.timezone),
        ("State", "paused" if spec.paused else "active"),
        ("Starts", "—" if spec.start_at is None else spec.start_at.isoformat()),
        ("Ends", "—" if spec.end_at is None else spec.end_at.isoformat()),
        ("DST gap", spec.dst_gap.value),
        ("DST fold", spec.dst_fold.value),
        ("Catch-up", spec.catchup.value),
        ("Catch-up window", _span(spec.catchup_window)),
        ("Misfire grace", _span(spec.misfire_grace)),
        ("Overlap", spec.overlap.value),
        ("Attempts", str(spec.max_attempts)),
        (
            "Backoff",
            f"{_span(spec.backoff_initial)}, times {spec.backoff_factor:g} each try, "
            f"at most {_span(spec.backoff_max)}",
        ),
        ("Timeout", _span(spec.timeout)),
        ("Jitter", _span(spec.jitter)),
    ]
