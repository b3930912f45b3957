from __future__ import annotations

from datetime import datetime, timedelta

from tests.component.service.conftest import spec_for
from tests.support.rows import add_run

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog

DAY = timedelta(days=1)


def record(
    store: sql_catalog.SqlCatalog, schedule: domain.Schedule, at: datetime, state: domain.RunState
) -> domain.Run:
    run = add_run(
        store,
        domain.NewRun(
            org_id=schedule.org_id,
            workflow_id=schedule.spec.workflow_id,
            schedule_id=schedule.id,
            schedule_version_id=None,
            trigger=domain.Trigger.SCHEDULE,
            scheduled_for=at,
            available_at=at,
            max_attempts=3,
            created_at=at,
            state=state,
            finished_at=None if not state.is_terminal else at + timedelta(seconds=5),
        ),
    )
    assert run is not None
    return run


def test_run_history_of_a_schedule_pages_newest_first_with_filters(
    svc: service.Service,
    sqlite_store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    workflow: domain.Workflow,
    t0: datetime,
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    other = svc.schedules.create(org.id, spec_for(workflow, cron="0 4 * * *"), author="a")
    states = (domain.RunState.SUCCEEDED, domain.RunState.FAILED)
    runs = [record(sqlite_store, schedule, t0 + n * DAY, states[n % 2]) for n in range(7)]
    record(sqlite_store, other, t0, domain.RunState.SUCCEEDED)

    pages, cursor = [], None
    while True:
        page = svc.runs.list_for_schedule(org.id, schedule.id, cursor=cursor, limit=3)
        pages.append([r.id for r in page.items])
        if (cursor := page.next_cursor) is None:
            break
    assert pages == [[r.id for r in runs[6:3:-1]], [r.id for r in runs[3:0:-1]], [runs[0].id]]

    failed = domain.RunFilter(states=frozenset({domain.RunState.FAILED}), since=t0 + 2 * DAY)
    found = svc.runs.list_for_schedule(org.id, schedule.id, failed).items
    assert [r.id for r in found] == [runs[5].id, runs[3].id]
    assert len(svc.runs.list(org.id).items) == 8


def test_retention_prunes_by_age_and_by_count(
    sqlite_store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    workflow: domain.Workflow,
    t0: datetime,
) -> None:
    clock = FakeClock(t0)
    svc = service.Service.build(sqlite_store, clock)
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    runs = [
        record(sqlite_store, schedule, t0 + n * DAY, domain.RunState.SUCCEEDED) for n in range(10)
    ]
    clock.current = t0 + 10 * DAY
    pruned = svc.runs.prune(service.Retention(max_age=5 * DAY, keep_per_schedule=3))
    assert pruned == 7
    remaining = svc.runs.list_for_schedule(org.id, schedule.id).items
    assert [r.id for r in remaining] == [r.id for r in runs[:-4:-1]]
    assert svc.runs.prune(service.Retention(max_age=None, keep_per_schedule=None)) == 0
