"""The Store contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.contract.conftest import DEFINITION, spec_for
from tests.support.rows import add_run, add_run_step

from cronwright import domain, errors
from cronwright.store.catalog import sql_catalog

Store = sql_catalog.SqlCatalog


def add(
    store: Store,
    org: domain.Organization,
    spec: domain.ScheduleSpec,
    t0: datetime,
    next_fire_at: datetime | None = None,
) -> domain.Schedule:
    return store.add_schedule(
        org_id=org.id, spec=spec, hash_key="k1", next_fire_at=next_fire_at, author="alice", now=t0
    )


def new_run(schedule: domain.Schedule, at: datetime, **overrides: object) -> domain.NewRun:
    values: dict[str, object] = {
        "org_id": schedule.org_id,
        "workflow_id": schedule.spec.workflow_id,
        "schedule_id": schedule.id,
        "schedule_version_id": None,
        "trigger": domain.Trigger.SCHEDULE,
        "scheduled_for": at,
        "available_at": at,
        "max_attempts": 3,
        "created_at": at,
    }
    values.update(overrides)
    return domain.NewRun(**values)  # type: ignore[arg-type]


def test_a_schedule_reads_back_exactly_as_written(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    spec = spec_for(
        workflow,
        timezone="Europe/Berlin",
        start_at=t0,
        end_at=t0 + timedelta(days=3),
        input={"n": 1, "nested": {"list": [1, "two", None]}},
        dst_gap=domain.DstGapPolicy.SKIP,
        dst_fold=domain.DstFoldPolicy.BOTH,
        catchup=domain.CatchupPolicy.ALL,
        overlap=domain.OverlapPolicy.BUFFER_ONE,
        backoff_factor=1.5,
        jitter=timedelta(microseconds=7),
        timeout=timedelta(minutes=2),
    )
    created = add(store, org, spec, t0, next_fire_at=t0 + timedelta(minutes=5))
    loaded = store.get_schedule(org.id, created.id)
    assert loaded == created
    assert loaded.spec == spec
    assert (loaded.version, loaded.hash_key, loaded.next_fire_at) == (
        1,
        "k1",
        t0 + timedelta(minutes=5),
    )
    [version] = store.list_schedule_versions(org.id, created.id)
    assert (version.version, version.spec, version.author, version.created_at) == (
        1,
        spec,
        "alice",
        t0,
    )
    [event] = store.list_schedule_events(org.id, created.id)
    assert (event.kind, event.version, event.author) == ("created", 1, "alice")


def test_an_update_writes_the_row_a_snapshot_and_an_event_together(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    created = add(store, org, spec_for(workflow), t0)
    later = t0 + timedelta(hours=1)
    updated = store.update_schedule(
        org.id,
        created.id,
        spec=created.spec.replace(cron="0 * * * *"),
        next_fire_at=later,
        event=domain.ScheduleEventKind.EDITED,
        author="bob",
        now=later,
        expected_version=1,
    )
    assert (updated.version, updated.spec.cron, updated.next_fire_at, updated.updated_at) == (
        2,
        "0 * * * *",
        later,
        later,
    )
    assert [v.spec.cron for v in store.list_schedule_versions(org.id, created.id)] == [
        "*/5 * * * *",
        "0 * * * *",
    ]
    assert [
        (e.kind, e.version, e.author) for e in store.list_schedule_events(org.id, created.id)
    ] == [("created", 1, "alice"), ("edited", 2, "bob")]


def test_an_update_from_a_stale_version_changes_nothing(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    created = add(store, org, spec_for(workflow), t0)
    with pytest.raises(errors.StaleVersion) as caught:
        store.update_schedule(
            org.id,
            created.id,
            spec=created.spec.replace(name="x"),
            next_fire_at=None,
            event=domain.ScheduleEventKind.EDITED,
            author="bob",
            now=t0,
            expected_version=7,
        )
    assert (caught.value.expected, caught.value.actual) == (7, 1)
    assert store.get_schedule(org.id, created.id) == created
    assert len(store.list_schedule_versions(org.id, created.id)) == 1


def test_the_same_workflow_expression_zone_and_input_twice_is_a_conflict(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    first = add(store, org, spec_for(workflow, input={"a": 1, "b": 2}), t0)
    with pytest.raises(errors.ScheduleConflict) as caught:
        add(store, org, spec_for(workflow, name="again", input={"b": 2, "a": 1}), t0)
    assert caught.value.existing_id == first.id
    # Any difference in expression, zone or input is a different schedule.
    add(store, org, spec_for(workflow, input={"a": 1, "b": 3}), t0)
    add(store, org, spec_for(workflow, input={"a": 1, "b": 2}, timezone="Europe/Paris"), t0)
    second = add(store, org, spec_for(workflow, input={"a": 1, "b": 2}, cron="0 * * * *"), t0)
    with pytest.raises(errors.ScheduleConflict):
        store.update_schedule(
            org.id,
            second.id,
            spec=second.spec.replace(cron="*/5 * * * *"),
            next_fire_at=None,
            event=domain.ScheduleEventKind.EDITED,
            author="a",
            now=t0,
            expected_version=1,
        )
    assert store.get_schedule(org.id, second.id).version == 1


def test_a_deleted_schedule_frees_its_identity_and_its_quota_place(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    store.set_organization_quotas(org.id, max_schedules=1, max_concurrent_runs=1)
    first = add(store, org, spec_for(workflow), t0)
    with pytest.raises(errors.QuotaExceeded) as caught:
        add(store, org, spec_for(workflow, cron="0 * * * *"), t0)
    assert (caught.value.quota, caught.value.limit) == ("max_schedules", 1)
    store.delete_schedule(org.id, first.id, author="alice", now=t0)
    with pytest.raises(errors.ScheduleNotFound):
        store.get_schedule(org.id, first.id)
    again = add(store, org, spec_for(workflow), t0)
    assert store.get_organization(org.id).schedule_count == 1
    assert [e.kind for e in store.list_schedule_events(org.id, first.id)] == ["created", "deleted"]
    assert again.id != first.id


def test_a_failed_create_does_not_use_up_quota(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    add(store, org, spec_for(workflow), t0)
    for _ in range(3):
        with pytest.raises(errors.ScheduleConflict):
            add(store, org, spec_for(workflow), t0)
    assert store.get_organization(org.id).schedule_count == 1


def test_lists_filter_and_page_by_id(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    other_workflow = store.add_workflow(org_id=org.id, name="w2", definition=DEFINITION, now=t0)
    made = [
        add(
            store,
            org,
            spec_for(
                workflow if n % 2 else other_workflow,
                cron=f"{n} * * * *",
                name=f"Report_{n}_%",
                paused=n % 3 == 0,
            ),
            t0,
        )
        for n in range(9)
    ]

    def ids(
        where: domain.ScheduleFilter, after_id: int | None = None, limit: int = 50
    ) -> list[int]:
        return [s.id for s in store.list_schedules(org.id, where, after_id=after_id, limit=limit)]

    everything = ids(domain.ScheduleFilter())
    assert everything == [s.id for s in made]
    assert ids(domain.ScheduleFilter(), after_id=everything[3], limit=2) == everything[4:6]
    assert ids(domain.ScheduleFilter(workflow_id=workflow.id)) == [s.id for s in made[1::2]]
    assert ids(domain.ScheduleFilter(paused=True)) == [s.id for s in made[::3]]
    assert ids(domain.ScheduleFilter(name_contains="report_1")) == [made[1].id]
    # LIKE wildcards in the filter are literal characters.
    assert ids(domain.ScheduleFilter(name_contains="_%")) == everything
    assert ids(domain.ScheduleFilter(name_contains="t%_")) == []
    assert ids(domain.ScheduleFilter(workflow_id=workflow.id, paused=True)) == [made[3].id]


def test_another_organizations_rows_are_not_found_and_never_listed(
    store: Store,
    org: domain.Organization,
    other_org: domain.Organization,
    workflow: domain.Workflow,
    t0: datetime,
) -> None:
    schedule = add(store, org, spec_for(workflow), t0)
    run = add_run(store, new_run(schedule, t0))
    assert run is not None
    key = store.add_api_key(
        org_id=org.id, name="k", role=domain.Role.ADMIN, prefix="p1", secret_hash="h", now=t0
    )
    them = other_org.id
    with pytest.raises(errors.WorkflowNotFound):
        store.get_workflow(them, workflow.id)
    with pytest.raises(errors.ScheduleNotFound):
        store.get_schedule(them, schedule.id)
    with pytest.raises(errors.ScheduleNotFound):
        store.list_schedule_versions(them, schedule.id)
    with pytest.raises(errors.ScheduleNotFound):
        store.list_schedule_events(them, schedule.id)
    with pytest.raises(errors.ScheduleNotFound):
        store.get_schedule_version(them, schedule.id, 1)
    with pytest.raises(errors.ScheduleNotFound):
        store.update_schedule(
            them,
            schedule.id,
            spec=schedule.spec,
            next_fire_at=None,
            event=domain.ScheduleEventKind.EDITED,
            author="x",
            now=t0,
            expected_version=1,
        )
    with pytest.raises(errors.ScheduleNotFound):
        store.delete_schedule(them, schedule.id, author="x", now=t0)
    with pytest.raises(errors.RunNotFound):
        store.get_run(them, run.id)
    with pytest.raises(errors.RunNotFound):
        store.list_run_steps(them, run.id)
    with pytest.raises(errors.ApiKeyNotFound):
        store.revoke_api_key(them, key.id, now=t0)
    with pytest.raises(errors.WorkflowNotFound):
        store.update_workflow(them, workflow.id, name="x", definition=DEFINITION, now=t0)
    with pytest.raises(errors.WorkflowNotFound):
        store.delete_workflow(them, workflow.id, now=t0)
    # A schedule of one organization cannot use another's workflow.
    with pytest.raises(errors.WorkflowNotFound):
        add(store, other_org, spec_for(workflow), t0)
    assert store.list_workflows(them, after_id=None, limit=10) == []
    assert store.list_schedules(them, domain.ScheduleFilter(), after_id=None, limit=10) == []
    assert store.list_runs(them, domain.RunFilter(), before_id=None, limit=10) == []
    assert (
        store.list_runs(them, domain.RunFilter(schedule_id=schedule.id), before_id=None, limit=10)
        == []
    )
    assert store.list_api_keys(them) == []
    # ... and nothing of theirs changed.
    assert store.get_schedule(org.id, schedule.id) == schedule
    assert store.get_run(org.id, run.id) == run
    assert store.list_api_keys(org.id)[0].revoked_at is None


def test_a_slot_is_inserted_once_however_often_it_is_offered(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    schedule = add(store, org, spec_for(workflow), t0)
    first = add_run(store, new_run(schedule, t0))
    assert first is not None
    assert add_run(store, new_run(schedule, t0, available_at=t0 + timedelta(seconds=9))) is None
    assert first.state == "pending"
    assert first.attempt == 0
    assert store.get_run(org.id, first.id) == first
    # Runs without a schedule (manual) are never deduplicated by slot.
    manual = new_run(schedule, t0, schedule_id=None, trigger=domain.Trigger.MANUAL)
    assert add_run(store, manual) is not None
    assert add_run(store, manual) is not None


def test_runs_filter_by_schedule_state_trigger_and_time_newest_first(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    one = add(store, org, spec_for(workflow), t0)
    two = add(store, org, spec_for(workflow, cron="0 * * * *"), t0)
    states = [domain.RunState.SUCCEEDED, domain.RunState.FAILED, domain.RunState.MISSED]
    made = []
    for n in range(6):
        schedule = one if n % 2 == 0 else two
        run = add_run(
            store,
            new_run(
                schedule,
                t0 + timedelta(minutes=n),
                state=states[n % 3],
                trigger=domain.Trigger.BACKFILL if n == 5 else domain.Trigger.SCHEDULE,
            ),
        )
        assert run is not None
        made.append(run.id)

    def ids(where: domain.RunFilter, before_id: int | None = None, limit: int = 50) -> list[int]:
        return [r.id for r in store.list_runs(org.id, where, before_id=before_id, limit=limit)]

    assert ids(domain.RunFilter()) == made[::-1]
    assert ids(domain.RunFilter(), before_id=made[4], limit=2) == [made[3], made[2]]
    assert ids(domain.RunFilter(schedule_id=one.id)) == [made[4], made[2], made[0]]
    assert ids(domain.RunFilter(states=frozenset({domain.RunState.FAILED}))) == [made[4], made[1]]
    assert ids(domain.RunFilter(triggers=frozenset({domain.Trigger.BACKFILL}))) == [made[5]]
    window = domain.RunFilter(since=t0 + timedelta(minutes=1), until=t0 + timedelta(minutes=3))
    assert ids(window) == [made[2], made[1]]
    # Counts take the same filters; by state, leaving out states with none.
    s = domain.RunState
    assert store.count_runs(org.id, domain.RunFilter()) == {
        s.SUCCEEDED: 2,
        s.FAILED: 2,
        s.MISSED: 2,
    }
    assert store.count_runs(org.id, domain.RunFilter(schedule_id=two.id)) == {
        s.FAILED: 1,
        s.SUCCEEDED: 1,
        s.MISSED: 1,
    }
    assert store.count_runs(org.id, window) == {s.FAILED: 1, s.MISSED: 1}
    assert store.count_runs(org.id, domain.RunFilter(), available_by=t0 + timedelta(minutes=1)) == {
        s.SUCCEEDED: 1,
        s.FAILED: 1,
    }
    other = store.create_organization(name="other", max_schedules=1, max_concurrent_runs=1, now=t0)
    assert store.count_runs(other.id, domain.RunFilter()) == {}


def test_pruning_removes_old_and_surplus_finished_runs_with_their_steps(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    schedule = add(store, org, spec_for(workflow), t0)
    kept: list[int] = []
    runs = []
    for n in range(6):
        at = t0 + timedelta(days=n)
        state = domain.RunState.PENDING if n == 0 else domain.RunState.SUCCEEDED
        run = add_run(
            store,
            new_run(
                schedule, at, state=state, finished_at=None if n == 0 else at + timedelta(minutes=1)
            ),
        )
        assert run is not None
        runs.append(run)
    add_run_step(
        store,
        run_id=runs[1].id,
        name="call",
        kind="http",
        attempt=1,
        state=domain.RunState.SUCCEEDED,
        output={"status": 200},
    )
    assert len(store.list_run_steps(org.id, runs[1].id)) == 1
    # Older than day 2 (finished): runs 1 goes; 0 is pending and stays however old.
    assert store.prune_runs(finished_before=t0 + timedelta(days=2), keep_per_schedule=None) == 1
    # Keep the newest two finished per schedule: 2 and 3 go.
    assert store.prune_runs(finished_before=None, keep_per_schedule=2) == 2
    kept = [r.id for r in store.list_runs(org.id, domain.RunFilter(), before_id=None, limit=50)]
    assert kept == [runs[5].id, runs[4].id, runs[0].id]
    with pytest.raises(errors.RunNotFound):
        store.list_run_steps(org.id, runs[1].id)
    assert store.prune_runs(finished_before=t0, keep_per_schedule=2) == 0


def test_api_keys_are_found_by_prefix_and_revoked_once(
    store: Store, org: domain.Organization, t0: datetime
) -> None:
    key = store.add_api_key(
        org_id=org.id, name="ci", role=domain.Role.EDITOR, prefix="abc", secret_hash="h", now=t0
    )
    assert store.find_api_key("abc") == key
    assert store.find_api_key("nope") is None
    store.touch_api_key(key.id, now=t0 + timedelta(seconds=1))
    revoked = store.revoke_api_key(org.id, key.id, now=t0 + timedelta(seconds=2))
    again = store.revoke_api_key(org.id, key.id, now=t0 + timedelta(seconds=3))
    assert revoked.revoked_at == again.revoked_at == t0 + timedelta(seconds=2)
    assert again.last_used_at == t0 + timedelta(seconds=1)
    assert store.list_api_keys(org.id) == [again]


def test_organization_names_are_unique(
    store: Store, org: domain.Organization, t0: datetime
) -> None:
    with pytest.raises(errors.Conflict, match="acme"):
        store.create_organization(name="acme", max_schedules=1, max_concurrent_runs=1, now=t0)
    with pytest.raises(errors.OrganizationNotFound):
        store.get_organization(domain.OrganizationId(999))
    assert [o.name for o in store.list_organizations()] == ["acme"]


def test_a_workflow_in_use_cannot_be_deleted_and_updates_are_versioned(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    schedule = add(store, org, spec_for(workflow), t0)
    with pytest.raises(errors.Conflict, match=f"schedule {schedule.id}"):
        store.delete_workflow(org.id, workflow.id, now=t0)
    two_steps = domain.parse_definition(
        {
            "steps": [
                {"name": "a", "kind": "http"},
                {"name": "b", "kind": "shell", "depends_on": ["a"]},
            ]
        }
    )
    updated = store.update_workflow(
        org.id, workflow.id, name="ping2", definition=two_steps, now=t0, expected_version=1
    )
    assert (updated.version, updated.definition) == (2, two_steps)
    assert store.get_workflow(org.id, workflow.id) == updated
    with pytest.raises(errors.StaleVersion):
        store.update_workflow(
            org.id, workflow.id, name="x", definition=two_steps, now=t0, expected_version=1
        )
    store.delete_schedule(org.id, schedule.id, author="a", now=t0)
    store.delete_workflow(org.id, workflow.id, now=t0)
    with pytest.raises(errors.WorkflowNotFound):
        store.get_workflow(org.id, workflow.id)
    assert store.list_workflows(org.id, after_id=None, limit=10) == []


def test_instants_come_back_in_utc(
    store: Store, org: domain.Organization, workflow: domain.Workflow
) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 10, 25, 2, 30, 0, 1, tzinfo=ZoneInfo("Europe/Berlin"), fold=1)
    schedule = add(store, org, spec_for(workflow, start_at=local), local, next_fire_at=local)
    loaded = store.get_schedule(org.id, schedule.id)
    # (PEP 495: an aware datetime with fold=1 never compares equal across zones, so compare UTC.)
    assert loaded.spec.start_at == local.astimezone(UTC)
    assert loaded.next_fire_at is not None
    assert loaded.next_fire_at.tzinfo is UTC
    assert loaded.next_fire_at.isoformat() == "2026-10-25T01:30:00.000001+00:00"


def test_a_batch_insert_is_all_or_nothing(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    first = add(store, org, spec_for(workflow), t0)
    batch = [
        domain.NewSchedule(spec=spec_for(workflow, cron=c), hash_key=c, next_fire_at=t0)
        for c in ("0 * * * *", "*/5 * * * *")  # the second clashes with ``first``
    ]
    with pytest.raises(errors.ScheduleConflict) as caught:
        store.add_schedules(org_id=org.id, schedules=batch, author="a", now=t0)
    assert caught.value.existing_id == first.id
    assert store.list_schedules(org.id, domain.ScheduleFilter(), after_id=None, limit=10) == [first]
    assert store.get_organization(org.id).schedule_count == 1
    made = store.add_schedules(org_id=org.id, schedules=batch[:1], author="a", now=t0)
    assert [store.get_schedule(org.id, s.id) for s in made] == made
    assert [v.version for v in store.list_schedule_versions(org.id, made[0].id)] == [1]


def test_next_schedules_are_the_live_ones_firing_soonest_of_one_organization(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    later = add(store, org, spec_for(workflow, cron="5 * * * *"), t0, t0 + timedelta(minutes=5))
    sooner = add(store, org, spec_for(workflow, cron="1 * * * *"), t0, t0 + timedelta(minutes=1))
    add(store, org, spec_for(workflow, cron="2 * * * *"), t0, None)  # paused or finished
    gone = add(store, org, spec_for(workflow, cron="0 * * * *"), t0, t0)
    store.delete_schedule(org.id, gone.id, author="alice", now=t0)
    assert [s.id for s in store.next_schedules(org.id, limit=10)] == [sooner.id, later.id]
    assert [s.id for s in store.next_schedules(org.id, limit=1)] == [sooner.id]
    other = store.create_organization(name="other", max_schedules=1, max_concurrent_runs=1, now=t0)
    assert store.next_schedules(other.id, limit=10) == []


def test_runs_count_by_slot_hour_and_state_in_one_pass(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    hourly = add(store, org, spec_for(workflow), t0)
    other = add(store, org, spec_for(workflow, cron="0 * * * *"), t0)
    hour = t0.replace(minute=0, second=0, microsecond=0)
    s = domain.RunState
    slots = [
        (hourly, hour + timedelta(minutes=1), s.SUCCEEDED),
        (other, hour + timedelta(minutes=1), s.SUCCEEDED),
        (hourly, hour + timedelta(minutes=59, seconds=59), s.FAILED),
        (hourly, hour + timedelta(hours=1), s.SUCCEEDED),  # the next hour, its first instant
        (hourly, hour + timedelta(hours=5), s.MISSED),  # outside the window
    ]
    for schedule, at, state in slots:
        assert add_run(store, new_run(schedule, at, state=state)) is not None
    counted = store.count_runs_by_hour(org.id, since=hour, until=hour + timedelta(hours=2))
    assert counted == {
        (hour.astimezone(UTC), s.SUCCEEDED): 2,
        (hour.astimezone(UTC), s.FAILED): 1,
        (hour.astimezone(UTC) + timedelta(hours=1), s.SUCCEEDED): 1,
    }
    nobody = domain.OrganizationId(org.id + 1)
    assert store.count_runs_by_hour(nobody, since=hour, until=hour + timedelta(hours=2)) == {}


def test_schedules_read_by_ids_leave_out_deleted_and_foreign_ones(
    store: Store, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    kept = add(store, org, spec_for(workflow), t0)
    gone = add(store, org, spec_for(workflow, cron="0 * * * *"), t0)
    store.delete_schedule(org.id, gone.id, author="alice", now=t0)
    other = store.create_organization(
        name="another", max_schedules=10, max_concurrent_runs=10, now=t0
    )
    found = store.get_schedules(org.id, [kept.id, gone.id, domain.ScheduleId(10**9)])
    assert [s.id for s in found] == [kept.id]
    assert found[0] == store.get_schedule(org.id, kept.id)
    assert store.get_schedules(org.id, []) == []
    assert store.get_schedules(other.id, [kept.id]) == []


def test_schedules_and_workflows_are_found_by_their_exact_live_name(
    store: Store,
    org: domain.Organization,
    other_org: domain.Organization,
    workflow: domain.Workflow,
    t0: datetime,
) -> None:
    named = add(store, org, spec_for(workflow, name="Nightly"), t0)
    add(store, org, spec_for(workflow, name="Nightly report", cron="0 * * * *"), t0)
    assert store.find_schedule_by_name(org.id, "Nightly") == named
    assert store.find_schedule_by_name(org.id, "nightly") is None  # exact, not folded
    assert store.find_schedule_by_name(org.id, "Night") is None  # whole, not contained
    assert store.find_schedule_by_name(other_org.id, "Nightly") is None
    store.delete_schedule(org.id, named.id, author="alice", now=t0)
    assert store.find_schedule_by_name(org.id, "Nightly") is None
    assert store.find_workflow_by_name(org.id, "ping") == workflow
    assert store.find_workflow_by_name(org.id, "pin") is None
    assert store.find_workflow_by_name(other_org.id, "ping") is None
