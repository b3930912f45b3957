"""Schedule versioning, editing, pausing and previews, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.component.service.conftest import spec_for

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog

MINUTE = timedelta(minutes=1)


def test_a_new_schedule_fires_next_after_now_and_not_before_its_start(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    # t0 is 2026-03-02 09:30:15.123456 UTC
    schedule = svc.schedules.create(org.id, spec_for(workflow, cron="*/15 * * * *"), author="a")
    assert schedule.next_fire_at == datetime(2026, 3, 2, 9, 45, tzinfo=UTC)
    start = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    later = svc.schedules.create(
        org.id, spec_for(workflow, cron="0 12 * * *", start_at=start), author="a"
    )
    assert later.next_fire_at == start  # start_at itself may fire
    paused = svc.schedules.create(
        org.id, spec_for(workflow, cron="0 13 * * *", paused=True), author="a"
    )
    assert paused.next_fire_at is None


def test_an_edit_recomputes_the_next_fire_from_now_and_never_fires_a_passed_slot(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow, clock: FakeClock
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow, cron="0 10 * * *"), author="a")
    assert schedule.next_fire_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    clock.current = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # the 10:00 slot has passed unrun
    # Moving the time to 10:30 (also passed today) must not make a run for today's 10:30.
    edited = svc.schedules.update(org.id, schedule.id, {"cron": "30 10 * * *"}, author="b")
    assert edited.next_fire_at == datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
    assert edited.next_fire_at > clock.now()
    assert svc.runs.list(org.id).items == ()  # editing makes no runs at all


def test_every_change_is_a_version_with_an_event_and_can_be_diffed_and_rolled_back(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow, clock: FakeClock
) -> None:
    v1 = svc.schedules.create(org.id, spec_for(workflow, input={"n": 1}), author="alice")
    clock.advance(MINUTE)
    v2 = svc.schedules.update(
        org.id, v1.id, {"cron": "0 4 * * *", "timezone": "Europe/Berlin"}, author="bob"
    )
    clock.advance(MINUTE)
    v3 = svc.schedules.pause(org.id, v1.id, author="carol")
    clock.advance(MINUTE)
    v4 = svc.schedules.resume(org.id, v1.id, author="carol")
    clock.advance(MINUTE)
    v5 = svc.schedules.rollback(org.id, v1.id, 1, author="dave")

    assert [s.version for s in (v1, v2, v3, v4, v5)] == [1, 2, 3, 4, 5]
    versions = svc.schedules.versions(org.id, v1.id)
    assert [(v.version, v.author) for v in versions] == [
        (1, "alice"),
        (2, "bob"),
        (3, "carol"),
        (4, "carol"),
        (5, "dave"),
    ]
    assert versions[4].spec == versions[0].spec == v1.spec == v5.spec
    assert versions[1].created_at == v1.created_at + MINUTE
    events = svc.schedules.events(org.id, v1.id)
    assert [(e.kind, e.version) for e in events] == [
        ("created", 1),
        ("edited", 2),
        ("paused", 3),
        ("resumed", 4),
        ("rolled_back", 5),
    ]
    assert events[-1].detail == {"to_version": 1}
    assert svc.schedules.diff(org.id, v1.id, 1, 2) == (
        domain.FieldChange(field="cron", old="0 3 * * *", new="0 4 * * *"),
        domain.FieldChange(field="timezone", old="UTC", new="Europe/Berlin"),
    )
    assert svc.schedules.diff(org.id, v1.id, 2, 3) == (
        domain.FieldChange(field="paused", old=False, new=True),
    )
    assert svc.schedules.diff(org.id, v1.id, 1, 5) == ()
    assert v3.next_fire_at is None
    assert v4.next_fire_at == datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 04:00 Berlin (CET)
    assert v5.hash_key == v1.hash_key
    with pytest.raises(errors.ScheduleVersionNotFound):
        svc.schedules.diff(org.id, v1.id, 1, 9)


def test_a_change_that_changes_nothing_writes_nothing(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    assert svc.schedules.update(org.id, schedule.id, {"cron": "0  3 * * *"}, author="b") == schedule
    assert svc.schedules.resume(org.id, schedule.id, author="b") == schedule
    paused = svc.schedules.pause(org.id, schedule.id, author="b")
    assert svc.schedules.pause(org.id, schedule.id, author="b") == paused
    assert [v.version for v in svc.schedules.versions(org.id, schedule.id)] == [1, 2]


def test_an_expected_version_guards_against_lost_updates(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    svc.schedules.update(org.id, schedule.id, {"name": "renamed"}, author="a", expected_version=1)
    with pytest.raises(errors.StaleVersion) as caught:
        svc.schedules.update(org.id, schedule.id, {"name": "again"}, author="b", expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert str(caught.value) == f"{schedule.id} is at version 2, not 1"
    with pytest.raises(errors.StaleVersion):
        svc.schedules.rollback(org.id, schedule.id, 1, author="b", expected_version=1)


def test_a_rollback_is_validated_again(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow, clock: FakeClock
) -> None:
    end = clock.now() + timedelta(days=2)
    schedule = svc.schedules.create(org.id, spec_for(workflow, end_at=end), author="a")
    svc.schedules.update(org.id, schedule.id, {"end_at": None}, author="a")
    clock.current = end + MINUTE
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.rollback(org.id, schedule.id, 1, author="a")
    assert (caught.value.field, caught.value.message) == ("end_at", "is in the past")


def test_h_fields_keep_their_times_across_renames(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow, cron="H H * * *"), author="a")
    renamed = svc.schedules.update(org.id, schedule.id, {"name": "still nightly"}, author="a")
    assert renamed.next_fire_at == schedule.next_fire_at
    assert renamed.hash_key == schedule.hash_key


def test_lists_filter_and_page_with_cursors(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    svc.organizations.set_quotas(org.id, max_schedules=100, max_concurrent_runs=1)
    made = [
        svc.schedules.create(
            org.id,
            spec_for(workflow, cron=f"{n} 3 * * *", name=f"job {n}", paused=n % 4 == 0),
            author="a",
        )
        for n in range(23)
    ]
    seen: list[domain.ScheduleId] = []
    cursor = None
    while True:
        page = svc.schedules.list(org.id, cursor=cursor, limit=10)
        seen.extend(s.id for s in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [s.id for s in made]
    paused = svc.schedules.list(org.id, domain.ScheduleFilter(paused=True), limit=3)
    assert [s.spec.name for s in paused.items] == ["job 0", "job 4", "job 8"]
    rest = svc.schedules.list(org.id, domain.ScheduleFilter(paused=True), cursor=paused.next_cursor)
    assert [s.spec.name for s in rest.items] == ["job 12", "job 16", "job 20"]
    assert rest.next_cursor is None
    named = svc.schedules.list(org.id, domain.ScheduleFilter(name_contains="JOB 1"))
    assert len(named.items) == 11  # job 1, job 10..19


def test_deleting_a_schedule_keeps_its_history_but_hides_it(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    svc.schedules.delete(org.id, schedule.id, author="b")
    with pytest.raises(errors.ScheduleNotFound):
        svc.schedules.get(org.id, schedule.id)
    with pytest.raises(errors.ScheduleNotFound):
        svc.schedules.delete(org.id, schedule.id, author="b")
    assert svc.schedules.list(org.id).items == ()
    assert [e.kind for e in svc.schedules.events(org.id, schedule.id)] == ["created", "deleted"]
    svc.workflows.delete(org.id, workflow.id)  # no live schedule uses it any more


def test_preview_lists_fire_times_in_utc_and_local_time_with_dst_marks(
    sqlite_store: sql_catalog.SqlCatalog, org: domain.Organization, workflow: domain.Workflow
) -> None:
    # Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; local 02:30 does not exist.
    clock = FakeClock(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    svc = service.Service.build(sqlite_store, clock)
    schedule = svc.schedules.create(
        org.id, spec_for(workflow, cron="30 2 * * *", timezone="Europe/Berlin"), author="a"
    )
    shown = svc.schedules.preview(org.id, schedule.id, count=3)
    assert shown.timezone == "Europe/Berlin"
    assert shown.description
    assert [(f.local.isoformat(), f.dst) for f in shown.fires] == [
        ("2026-03-28T02:30:00+01:00", None),
        ("2026-03-29T03:00:00+02:00", "shifted"),
        ("2026-03-30T02:30:00+02:00", None),
    ]
    assert shown.fires[1].at.isoformat() == "2026-03-29T01:00:00+00:00"


def test_preview_marks_both_occurrences_of_a_repeated_hour(
    sqlite_store: sql_catalog.SqlCatalog,
) -> None:
    # Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; local 02:xx happens twice.
    svc = service.Service.build(sqlite_store, FakeClock(datetime(2026, 10, 24, 23, 50, tzinfo=UTC)))
    shown = svc.schedules.preview_expression("*/30 2 * * *", timezone="Europe/Berlin", count=4)
    assert [(f.local.isoformat(), f.dst) for f in shown.fires] == [
        ("2026-10-25T02:00:00+02:00", "first occurrence"),
        ("2026-10-25T02:30:00+02:00", "first occurrence"),
        ("2026-10-25T02:00:00+01:00", "second occurrence"),
        ("2026-10-25T02:30:00+01:00", "second occurrence"),
    ]
    fixed = svc.schedules.preview_expression("30 2 * * *", timezone="Europe/Berlin", count=2)
    assert [(f.local.isoformat(), f.dst) for f in fixed.fires] == [
        ("2026-10-25T02:30:00+02:00", "first occurrence"),
        ("2026-10-26T02:30:00+01:00", None),
    ]


def test_preview_stops_at_the_end_and_refuses_silly_counts(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    end = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
    schedule = svc.schedules.create(org.id, spec_for(workflow, end_at=end), author="a")
    assert [f.at for f in svc.schedules.preview(org.id, schedule.id, count=10).fires] == [
        datetime(2026, 3, 3, 3, 0, tzinfo=UTC),
        end,
    ]
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.preview(org.id, schedule.id, count=101)
    assert (caught.value.field, caught.value.message) == ("count", "must be between 1 and 100")


def test_an_import_creates_all_or_nothing(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    specs = [spec_for(workflow, cron=f"{n} 3 * * *", name=f"job {n}") for n in range(3)]
    made = svc.schedules.create_many(org.id, specs, author="importer")
    assert [s.spec for s in made] == specs
    assert made == [svc.schedules.get(org.id, s.id) for s in made]
    assert [e.kind for e in svc.schedules.events(org.id, made[2].id)] == ["created"]
    assert svc.organizations.get(org.id).schedule_count == 3

    clash = [spec_for(workflow, cron="0 9 * * *"), spec_for(workflow, cron="1 3 * * *")]
    with pytest.raises(errors.ScheduleConflict) as conflict:
        svc.schedules.create_many(org.id, clash, author="importer")
    assert conflict.value.existing_id == made[1].id
    twice = [spec_for(workflow, cron="0 9 * * *"), spec_for(workflow, cron="0  9 * * *")]
    with pytest.raises(errors.InvalidInput) as invalid:
        svc.schedules.create_many(org.id, twice, author="importer")
    assert (invalid.value.field, invalid.value.message) == (
        "schedules[1]",
        "same workflow, expression, time zone and input as schedules[0]",
    )
    bad = [spec_for(workflow, cron="0 9 * * *"), spec_for(workflow, timezone="Mars/Base")]
    with pytest.raises(errors.InvalidInput) as invalid:
        svc.schedules.create_many(org.id, bad, author="importer")
    assert invalid.value.field == "schedules[1].timezone"
    too_many = [spec_for(workflow, cron=f"{n} 9 * * *") for n in range(3)]
    with pytest.raises(errors.QuotaExceeded):
        svc.schedules.create_many(org.id, too_many, author="importer")
    assert len(svc.schedules.list(org.id).items) == 3
    assert svc.organizations.get(org.id).schedule_count == 3
