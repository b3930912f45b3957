"""The facts alerts come from, read from the tables the engine already writes: runs that
finished since the scan cursor, and slots that should have started and have not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from cronwright import domain
from cronwright.planning import alerts as planning
from cronwright.store.database.schema import AlertChannelRow, RunRow, ScheduleRow

_CHUNK = 500  # ids per IN list: under SQLite's limit of bound parameters
_OUTCOMES = [s.value for s in planning.OUTCOMES]
# What a fact needs of a run (see _finished): not its input, result or lease.
_FACT_COLUMNS = [
    RunRow.id,
    RunRow.org_id,
    RunRow.schedule_id,
    RunRow.workflow_id,
    RunRow.state,
    RunRow.scheduled_for,
    RunRow.finished_at,
    RunRow.attempt,
    RunRow.error,
    RunRow.reason,
]


def _alerting_orgs() -> sa.Select[Any]:
    """Organizations with an enabled channel: no alert of any other goes anywhere, so their
    runs and schedules are not read (a burst of runs would be, on every scan)."""
    return sa.select(AlertChannelRow.org_id).where(AlertChannelRow.enabled.is_(True))


def finished_runs(
    connection: Connection, since: datetime, until: datetime
) -> list[planning.FinishedRun]:
    """Runs that ended in ``(since, until]`` (in organizations with an enabled channel)."""
    query = (
        sa.select(*_FACT_COLUMNS, ScheduleRow.name.label("schedule_name"))
        .select_from(RunRow)
        .outerjoin(ScheduleRow, ScheduleRow.id == RunRow.schedule_id)
        .where(
            RunRow.finished_at > since,
            RunRow.finished_at <= until,
            RunRow.state.in_(_OUTCOMES),
            RunRow.org_id.in_(_alerting_orgs()),
            # Successes matter only for recovery, which is per schedule.
            sa.or_(
                RunRow.state != domain.RunState.SUCCEEDED.value, RunRow.schedule_id.is_not(None)
            ),
        )
        .order_by(RunRow.finished_at, RunRow.id)
    )
    return [_finished(row) for row in connection.execute(query)]


def previous_outcomes(
    connection: Connection, schedule_ids: Iterable[int | None], *, before: datetime
) -> dict[domain.ScheduleId, planning.FinishedRun]:
    """Each schedule's last success or final failure finished at or before ``before``."""
    wanted = sorted(i for i in schedule_ids if i is not None)
    found: dict[domain.ScheduleId, planning.FinishedRun] = {}
    for start in range(0, len(wanted), _CHUNK):
        order = sa.func.row_number().over(
            partition_by=RunRow.schedule_id, order_by=(RunRow.finished_at.desc(), RunRow.id.desc())
        )
        ranked = (
            sa.select(*_FACT_COLUMNS, sa.null().label("schedule_name"), order.label("rank"))
            .where(
                RunRow.schedule_id.in_(wanted[start : start + _CHUNK]),
                RunRow.state.in_([s.value for s in planning.OUTCOMES]),
                RunRow.finished_at <= before,
            )
            .subquery()
        )
        for row in connection.execute(sa.select(ranked).where(ranked.c.rank == 1)):
            run = _finished(row)
            assert run.schedule_id is not None
            found[run.schedule_id] = run
    return found


def missed_slots(
    connection: Connection, since: datetime, until: datetime
) -> list[planning.LateSlot]:
    """Runs marked missed after ``since``, grouped by schedule and the instant they were marked:
    a catch-up after an outage marks many slots at once, and says so in one alert."""
    first_slot = sa.func.min(RunRow.scheduled_for)
    query = (
        sa.select(
            RunRow.org_id,
            RunRow.schedule_id,
            ScheduleRow.name,
            RunRow.finished_at,
            first_slot.label("first_slot"),
            sa.func.max(RunRow.scheduled_for).label("last_slot"),
            sa.func.count().label("slots"),
            sa.func.min(RunRow.id).label("first_run_id"),
        )
        .join(ScheduleRow, ScheduleRow.id == RunRow.schedule_id)
        .where(
            RunRow.state == domain.RunState.MISSED.value,
            RunRow.finished_at > since,
            RunRow.finished_at <= until,
            RunRow.org_id.in_(_alerting_orgs()),
        )
        .group_by(RunRow.org_id, RunRow.schedule_id, ScheduleRow.name, RunRow.finished_at)
    )
    return [
        planning.LateSlot(
            org_id=domain.OrganizationId(row.org_id),
            schedule_id=domain.ScheduleId(row.schedule_id),
            schedule_name=row.name,
            slot_at=row.first_slot,
            due_at=row.finished_at,
            grace=timedelta(0),
            cause=planning.MissCause.MISSED,
            run_id=domain.RunId(row.first_run_id),
            count=row.slots,
            last_slot_at=row.last_slot,
        )
        for row in connection.execute(query)
    ]


def unwritten_slots(connection: Connection, now: datetime) -> list[planning.LateSlot]:
    """Schedules whose next slot has passed with no run written: no scheduler is working."""
    query = sa.select(
        ScheduleRow.id,
        ScheduleRow.org_id,
        ScheduleRow.name,
        ScheduleRow.next_fire_at,
        ScheduleRow.misfire_grace,
    ).where(
        ScheduleRow.next_fire_at < now,
        ScheduleRow.paused.is_(False),
        ScheduleRow.deleted_at.is_(None),
        ScheduleRow.org_id.in_(_alerting_orgs()),
    )
    return [
        planning.LateSlot(
            org_id=domain.OrganizationId(row.org_id),
            schedule_id=domain.ScheduleId(row.id),
            schedule_name=row.name,
            slot_at=row.next_fire_at,
            due_at=row.next_fire_at,
            grace=row.misfire_grace,
            cause=planning.MissCause.SCHEDULER,
        )
        for row in connection.execute(query)
    ]


def waiting_slots(connection: Connection, now: datetime) -> list[planning.LateSlot]:
    """First attempts of scheduled runs still pending after their time: no worker takes them.
    Runs of a schedule that has one running are left out: they may be waiting on purpose
    (overlap buffering)."""
    sibling = aliased(RunRow)
    busy = sa.exists().where(
        sibling.schedule_id == RunRow.schedule_id,
        sibling.state == domain.RunState.RUNNING.value,
    )
    query = (
        sa.select(
            RunRow.id,
            RunRow.org_id,
            RunRow.schedule_id,
            RunRow.scheduled_for,
            RunRow.available_at,
            RunRow.reason,
            ScheduleRow.name,
            ScheduleRow.misfire_grace,
        )
        .join(ScheduleRow, ScheduleRow.id == RunRow.schedule_id)
        .where(
            RunRow.state == domain.RunState.PENDING.value,
            RunRow.available_at < now,
            RunRow.attempt == 0,
            RunRow.trigger == domain.Trigger.SCHEDULE.value,
            RunRow.org_id.in_(_alerting_orgs()),
            ~busy,
        )
    )
    return [
        planning.LateSlot(
            org_id=domain.OrganizationId(row.org_id),
            schedule_id=domain.ScheduleId(row.schedule_id),
            schedule_name=row.name,
            slot_at=row.scheduled_for,
            due_at=row.available_at,
            grace=row.misfire_grace,
            cause=planning.MissCause.QUEUE,
            run_id=domain.RunId(row.id),
            waiting_reason=row.reason,
        )
        for row in connection.execute(query)
    ]


def _finished(row: Any) -> planning.FinishedRun:
    return planning.FinishedRun(
        id=domain.RunId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        schedule_id=None if row.schedule_id is None else domain.ScheduleId(row.schedule_id),
        schedule_name=row.schedule_name,
        workflow_id=domain.WorkflowId(row.workflow_id),
        state=domain.RunState(row.state),
        scheduled_for=row.scheduled_for,
        finished_at=row.finished_at,
        attempt=row.attempt,
        error=row.error,
        reason=row.reason,
    )
