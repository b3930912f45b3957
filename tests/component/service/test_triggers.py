"""Manual triggers, backfills (with dry run) and retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.component.service.conftest import spec_for
from tests.support import rows as support_rows

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.service.triggers import BackfillOutcome, RunNotRetryable, Triggers
from cronwright.store.catalog import sql_catalog
from cronwright.store.slots import slot_ledger

HOUR = timedelta(hours=1)
NOW = datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC)
ELEVEN = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def slots(sqlite_store: sql_catalog.SqlCatalog) -> slot_ledger.SqlSlotLedger:
    return slot_ledger.SqlSlotLedger(sqlite_store.engine)


@pytest.fixture
def triggers(
    sqlite_store: sql_catalog.SqlCatalog, slots: slot_ledger.SqlSlotLedger, clock: FakeClock
) -> Triggers:
    return Triggers(sqlite_store, slots, clock, max_backfill_slots=50)


@pytest.fixture
def hourly(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> domain.Schedule:
    spec = spec_for(
        workflow, cron="0 * * * *", input={"region": "eu", "dry": False}, max_attempts=5
    )
    return svc.schedules.create(org.id, spec, author="a")


def test_trigger_now_makes_a_manual_run_with_merged_input(
    triggers: Triggers, svc: service.Service, org: domain.Organization, hourly: domain.Schedule
) -> None:
    run = triggers.trigger_now(org.id, hourly.id, {"dry": True})
    again = triggers.trigger_now(org.id, hourly.id)
    assert run.id != again.id  # manual runs are not slots: any number may exist
    assert (run.trigger, run.state, run.attempt, run.max_attempts) == (
        domain.Trigger.MANUAL,
        domain.RunState.PENDING,
        0,
        5,
    )
    assert run.scheduled_for == run.available_at == NOW
    assert run.input == {"region": "eu", "dry": True}
    assert again.input == {"region": "eu", "dry": False}
    version = svc.schedules.version(org.id, hourly.id, 1)
    assert run.schedule_version_id == version.id


def test_a_schedules_history_shows_its_manual_and_retry_runs(
    triggers: Triggers,
    svc: service.Service,
    sqlite_store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    workflow: domain.Workflow,
    hourly: domain.Schedule,
) -> None:
    other = svc.schedules.create(org.id, spec_for(workflow, cron="30 * * * *"), author="a")
    version = svc.schedules.version(org.id, hourly.id, 1)
    slot = add_run(sqlite_store, hourly, domain.RunState.FAILED, version_id=version.id)
    manual = triggers.trigger_now(org.id, hourly.id)
    retry = triggers.retry_run(org.id, slot.id)
    elsewhere = triggers.trigger_now(org.id, other.id)
    # Not slots (their rows keep no schedule_id), but read as the schedule's runs.
    assert manual.schedule_id == retry.schedule_id == hourly.id
    history = svc.runs.list_for_schedule(org.id, hourly.id).items
    assert [run.id for run in history] == [retry.id, manual.id, slot.id]
    assert [run.id for run in svc.runs.list_for_schedule(org.id, other.id).items] == [elsewhere.id]
    manual_only = domain.RunFilter(triggers=frozenset({domain.Trigger.MANUAL}))
    assert svc.runs.count(org.id, domain.RunFilter(schedule_id=hourly.id)) == {
        **dict.fromkeys(domain.RunState, 0),
        domain.RunState.FAILED: 1,
        domain.RunState.PENDING: 2,
    }
    assert [r.id for r in svc.runs.list_for_schedule(org.id, hourly.id, manual_only).items] == [
        manual.id
    ]


def test_a_paused_schedule_can_still_be_triggered_by_hand(
    triggers: Triggers, svc: service.Service, org: domain.Organization, hourly: domain.Schedule
) -> None:
    svc.schedules.pause(org.id, hourly.id, author="a")
    run = triggers.trigger_now(org.id, hourly.id)
    assert run.schedule_version_id == svc.schedules.version(org.id, hourly.id, 2).id


def test_another_organizations_schedule_cannot_be_triggered(
    triggers: Triggers, svc: service.Service, hourly: domain.Schedule
) -> None:
    other = svc.organizations.create("other")
    with pytest.raises(errors.ScheduleNotFound):
        triggers.trigger_now(other.id, hourly.id)
    with pytest.raises(errors.ScheduleNotFound):
        triggers.backfill(other.id, hourly.id, since=NOW - HOUR, until=NOW, dry_run=True)


def test_trigger_input_must_be_json(
    triggers: Triggers, org: domain.Organization, hourly: domain.Schedule
) -> None:
    with pytest.raises(errors.InvalidInput, match="input"):
        triggers.trigger_now(org.id, hourly.id, {"when": NOW})  # type: ignore[dict-item]


def test_a_dry_run_backfill_lists_the_slots_and_writes_nothing(
    triggers: Triggers, svc: service.Service, org: domain.Organization, hourly: domain.Schedule
) -> None:
    plan = triggers.backfill(org.id, hourly.id, since=ELEVEN, until=NOW, dry_run=True)
    assert [slot.scheduled_for.strftime("%H:%M") for slot in plan.slots] == [
        "11:00",
        "12:00",
        "13:00",
        "14:00",
    ]
    assert {slot.outcome for slot in plan.slots} == {BackfillOutcome.WOULD_CREATE}
    assert svc.runs.list(org.id).items == ()


def test_a_backfill_creates_the_missing_slots_and_reports_those_that_ran(
    triggers: Triggers,
    sqlite_store: sql_catalog.SqlCatalog,
    svc: service.Service,
    org: domain.Organization,
    hourly: domain.Schedule,
) -> None:
    fourteen = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    add_run(sqlite_store, hourly, domain.RunState.SUCCEEDED, at=fourteen)  # the scheduler's
    done = triggers.backfill(org.id, hourly.id, since=ELEVEN, until=NOW)
    assert [(s.scheduled_for.strftime("%H:%M"), s.outcome) for s in done.slots] == [
        ("11:00", BackfillOutcome.CREATED),
        ("12:00", BackfillOutcome.CREATED),
        ("13:00", BackfillOutcome.CREATED),
        ("14:00", BackfillOutcome.EXISTS),
    ]
    created = [svc.runs.get(org.id, s.run_id) for s in done.slots if s.run_id is not None]
    assert {(r.trigger, r.state, r.schedule_id) for r in created} == {
        (domain.Trigger.BACKFILL, domain.RunState.PENDING, hourly.id)
    }
    assert all(r.available_at == NOW and r.input == hourly.spec.input for r in created)

    again = triggers.backfill(org.id, hourly.id, since=ELEVEN, until=NOW)
    assert again.count(BackfillOutcome.EXISTS) == 4
    assert len(svc.runs.list(org.id).items) == 4  # every slot still has exactly one run


def test_a_backfill_respects_start_at_and_end_at(
    triggers: Triggers,
    svc: service.Service,
    org: domain.Organization,
    workflow: domain.Workflow,
    clock: FakeClock,
) -> None:
    clock.current = NOW - 10 * HOUR
    spec = spec_for(workflow, cron="0 * * * *", start_at=NOW - 9 * HOUR, end_at=NOW - 7 * HOUR)
    bounded = svc.schedules.create(org.id, spec, author="a")
    clock.current = NOW
    done = triggers.backfill(org.id, bounded.id, since=NOW - 12 * HOUR, until=NOW, dry_run=True)
    assert [s.scheduled_for.strftime("%H:%M") for s in done.slots] == [
        "06:00",
        "07:00",
    ]  # 05:00:05 to 07:00:05


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (NOW, NOW - HOUR, "must be after since"),
        (NOW - HOUR, NOW + HOUR, "must not be in the future"),
        (NOW - 100 * HOUR, NOW, "more than 50 slots"),
        (datetime(2026, 11, 27, 12, 0), NOW, "timezone-aware"),
    ],
)
def test_a_backfill_refuses_bad_ranges(
    triggers: Triggers,
    org: domain.Organization,
    hourly: domain.Schedule,
    since: datetime,
    until: datetime,
    message: str,
) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        triggers.backfill(org.id, hourly.id, since=since, until=until, dry_run=True)


def add_run(
    store: sql_catalog.SqlCatalog,
    schedule: domain.Schedule,
    state: domain.RunState,
    *,
    at: datetime = NOW - HOUR,
    version_id: domain.ScheduleVersionId | None = None,
) -> domain.Run:
    run = support_rows.add_run(
        store,
        domain.NewRun(
            org_id=schedule.org_id,
            workflow_id=schedule.spec.workflow_id,
            schedule_id=schedule.id,
            schedule_version_id=version_id,
            trigger=domain.Trigger.SCHEDULE,
            scheduled_for=at,
            available_at=at,
            max_attempts=3,
            created_at=at,
            state=state,
            input={"k": 1},
        ),
    )
    assert run is not None
    return run


@pytest.mark.parametrize(
    "state", [domain.RunState.FAILED, domain.RunState.TIMED_OUT, domain.RunState.CANCELLED]
)
def test_a_run_that_did_not_succeed_can_be_retried(
    triggers: Triggers,
    sqlite_store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    hourly: domain.Schedule,
    state: domain.RunState,
) -> None:
    failed = add_run(sqlite_store, hourly, state)
    retry = triggers.retry_run(org.id, failed.id)
    assert (retry.trigger, retry.state, retry.attempt, retry.max_attempts) == (
        domain.Trigger.RETRY,
        domain.RunState.PENDING,
        0,
        3,
    )
    assert (retry.scheduled_for, retry.input, retry.available_at) == (NOW - HOUR, {"k": 1}, NOW)
    assert retry.reason == f"retry of run {failed.id}"
    assert triggers.retry_run(org.id, failed.id).id != retry.id  # retried twice: two runs


@pytest.mark.parametrize(
    "state", [domain.RunState.SUCCEEDED, domain.RunState.PENDING, domain.RunState.MISSED]
)
def test_other_runs_are_refused_with_a_clear_error(
    triggers: Triggers,
    sqlite_store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    hourly: domain.Schedule,
    state: domain.RunState,
) -> None:
    run = add_run(sqlite_store, hourly, state)
    with pytest.raises(RunNotRetryable, match=f"run {run.id} is {state.value}: only failed"):
        triggers.retry_run(org.id, run.id)
    with pytest.raises(errors.RunNotFound):
        triggers.retry_run(domain.OrganizationId(org.id + 1), run.id)
