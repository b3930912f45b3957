"""The scheduler's store on SQLite and PostgreSQL: every slot of an enabled schedule ends as exactly
one run, whatever the replays, concurrent schedulers, edits and crashes."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.conftest import fresh_database_url
from tests.contract.conftest import DEFINITION, spec_for

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.planning.materialize import SlotPlanner
from cronwright.planning.slots import Cadence
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import dialect
from cronwright.store.database.database_clock import DatabaseClock, read_database_now
from cronwright.store.database.schema import RunRow, ScheduleRow
from cronwright.store.slots import slot_ledger

LOOKAHEAD = timedelta(seconds=10)
MINUTE = timedelta(minutes=1)
PENDING, MISSED = domain.RunState.PENDING, domain.RunState.MISSED


@pytest.fixture
def slots(store: sql_catalog.SqlCatalog) -> slot_ledger.SqlSlotLedger:
    return slot_ledger.SqlSlotLedger(store.engine)


@pytest.fixture
def start(t0: datetime) -> datetime:
    return t0.replace(second=0, microsecond=0)  # on a minute boundary: a slot of "* * * * *"


def add(
    store: sql_catalog.SqlCatalog,
    workflow: domain.Workflow,
    *,
    now: datetime,
    name: str = "every minute",
    cron: str = "* * * * *",
    **changes: object,
) -> domain.Schedule:
    changes.setdefault("input", {"schedule": name})  # distinct, or they would conflict
    spec = spec_for(workflow, name=name, cron=cron, **changes)
    cadence = Cadence.of(spec, hash_key=name)
    return store.add_schedule(
        org_id=workflow.org_id,
        spec=spec,
        hash_key=name,
        next_fire_at=None
        if spec.paused
        else cadence.next_fire_at(after=now - timedelta.resolution),
        author="test",
        now=now,
    )


def runs_of(store: sql_catalog.SqlCatalog, schedule_id: int | None = None) -> list[RunRow]:
    query = sa.select(RunRow).order_by(RunRow.schedule_id, RunRow.scheduled_for)
    if schedule_id is not None:
        query = query.where(RunRow.schedule_id == schedule_id)
    with Session(store.engine) as session:
        return list(session.scalars(query))


def next_fire_of(store: sql_catalog.SqlCatalog, schedule_id: int) -> datetime | None:
    with store.engine.connect() as connection:
        found: datetime | None = connection.execute(
            sa.select(ScheduleRow.next_fire_at).where(ScheduleRow.id == schedule_id)
        ).scalar()
        return found


def set_next_fire(store: sql_catalog.SqlCatalog, schedule_id: int, at: datetime) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(ScheduleRow).where(ScheduleRow.id == schedule_id).values(next_fire_at=at)
        )


def test_due_slots_become_pending_runs_and_next_fire_moves_past_the_window(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    schedule = add(
        store,
        workflow,
        now=start,
        input={"region": "eu"},
        max_attempts=4,
        catchup=domain.CatchupPolicy.ALL,
    )
    later = add(store, workflow, now=start, name="daily", cron="0 3 * * *")
    version = store.get_schedule_version(workflow.org_id, schedule.id, 1)

    done = slots.materialize(now=start + 2 * MINUTE, lookahead=LOOKAHEAD)

    assert (done.schedules, done.pending, done.missed, done.more) == (1, 3, 0, False)
    found = runs_of(store)
    assert [row.scheduled_for for row in found] == [start, start + MINUTE, start + 2 * MINUTE]
    for row in found:
        assert row.schedule_id == schedule.id
        assert row.schedule_version_id == version.id
        assert (row.trigger, row.state, row.attempt, row.max_attempts) == (
            "schedule",
            "pending",
            0,
            4,
        )
        assert row.input == {"region": "eu"}
        assert row.available_at == row.scheduled_for
    assert next_fire_of(store, schedule.id) == start + 3 * MINUTE
    assert next_fire_of(store, later.id) == later.next_fire_at  # not due: untouched
    assert slots.earliest_next_fire_at() == start + 3 * MINUTE


def test_late_slots_follow_the_catch_up_policy_with_reasons(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    add(store, workflow, now=start, catchup=domain.CatchupPolicy.LATEST)
    slots.materialize(now=start + 10 * MINUTE, lookahead=LOOKAHEAD)  # a 10-minute outage
    found = runs_of(store)
    assert [row.state for row in found] == ["missed"] * 9 + ["pending"] * 2
    assert found[0].finished_at == start + 10 * MINUTE
    assert found[0].reason == (
        f"missed: the scheduler was not running at {start.strftime('%Y-%m-%dT%H:%M:%SZ')} "
        "(catch-up policy 'latest' runs only the newest late slot)"
    )


def test_replaying_materialize_is_a_no_op(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    schedule = add(store, workflow, now=start, catchup=domain.CatchupPolicy.NONE)
    now = start + 5 * MINUTE
    slots.materialize(now=now, lookahead=LOOKAHEAD)
    before = [(r.scheduled_for, r.state, r.id) for r in runs_of(store)]

    assert slots.materialize(now=now, lookahead=LOOKAHEAD).schedules == 0
    set_next_fire(store, schedule.id, start)  # what a scheduler with a stale view would redo
    replay = slots.materialize(now=now, lookahead=LOOKAHEAD)

    assert (replay.pending, replay.missed, replay.existing) == (0, 0, 6)
    assert [(r.scheduled_for, r.state, r.id) for r in runs_of(store)] == before
    assert next_fire_of(store, schedule.id) == now + MINUTE


def test_paused_and_deleted_schedules_are_never_materialized(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    paused = add(store, workflow, now=start, name="paused", paused=True)
    deleted = add(store, workflow, now=start, name="deleted")
    store.delete_schedule(workflow.org_id, deleted.id, author="test", now=start)
    set_next_fire(store, paused.id, start)  # even with a stale next_fire_at

    assert slots.materialize(now=start + MINUTE, lookahead=LOOKAHEAD).schedules == 0
    assert runs_of(store) == []
    assert slots.earliest_next_fire_at() is None


def test_a_batch_takes_the_most_overdue_schedules_and_says_more_is_due(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    made = [add(store, workflow, now=start + n * MINUTE, name=f"s{n}") for n in reversed(range(5))]
    first = slots.materialize(now=start + 5 * MINUTE, lookahead=LOOKAHEAD, batch=2)
    assert (first.schedules, first.more) == (2, True)
    assert {row.schedule_id for row in runs_of(store)} == {made[-1].id, made[-2].id}
    rest = slots.materialize(now=start + 5 * MINUTE, lookahead=LOOKAHEAD, batch=10)
    assert (rest.schedules, rest.more) == (3, False)


def test_a_schedule_capped_per_transaction_finishes_on_later_passes(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    schedule = add(store, workflow, now=start, cron="* * * * * *")  # every second
    planner = SlotPlanner(max_slots=250)
    now = start + timedelta(minutes=15)
    passes = 0
    while (done := slots.materialize(now=now, lookahead=LOOKAHEAD, plan=planner)).more:
        passes += 1
        assert done.pending + done.missed == 250
    expected = list(Cadence.of_schedule(schedule).slots_from(start, until=now + LOOKAHEAD))
    found = runs_of(store)
    assert passes == len(expected) // 250
    assert [row.scheduled_for for row in found] == expected
    late_pending = [
        r
        for r in found
        if r.state == "pending" and r.scheduled_for < now - 30 * timedelta(seconds=1)
    ]
    assert [r.scheduled_for for r in late_pending] == [now - timedelta(seconds=31)]


def test_an_edit_between_ticks_takes_effect_from_the_next_slot(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    clock = FakeClock(start)
    schedules = service.Schedules(store, clock)
    schedule = schedules.create(workflow.org_id, spec_for(workflow, cron="*/2 * * * *"), author="a")
    clock.advance(4 * MINUTE)
    slots.materialize(now=clock.now(), lookahead=LOOKAHEAD)
    clock.advance(30 * timedelta(seconds=1))
    edited = schedules.update(workflow.org_id, schedule.id, {"cron": "*/5 * * * *"}, author="b")
    clock.advance(11 * MINUTE)
    slots.materialize(now=clock.now(), lookahead=LOOKAHEAD)

    v1, v2 = store.list_schedule_versions(workflow.org_id, schedule.id)
    found = [(r.scheduled_for - start, r.schedule_version_id, r.state) for r in runs_of(store)]
    assert edited.version == 2
    assert found == [
        (timedelta(minutes=2), v1.id, "pending"),  # created at 0: the first slot is after it
        (timedelta(minutes=4), v1.id, "pending"),
        (timedelta(minutes=5), v2.id, "missed"),  # edited at 4:30; next tick at 15:30
        (timedelta(minutes=10), v2.id, "pending"),  # the newest late slot
        (timedelta(minutes=15), v2.id, "pending"),  # 30 s ago: within the late tolerance
    ]


def test_resume_after_a_long_pause_writes_no_past_slot(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    clock = FakeClock(start)
    schedules = service.Schedules(store, clock)
    spec = spec_for(workflow, cron="* * * * *", catchup=domain.CatchupPolicy.ALL)
    schedule = schedules.create(workflow.org_id, spec, author="a")
    schedules.pause(workflow.org_id, schedule.id, author="a")
    clock.advance(timedelta(hours=3, seconds=20))
    assert slots.materialize(now=clock.now(), lookahead=LOOKAHEAD).schedules == 0
    schedules.resume(workflow.org_id, schedule.id, author="a")
    clock.advance(MINUTE)
    slots.materialize(now=clock.now(), lookahead=LOOKAHEAD)

    found = runs_of(store)
    assert [(r.scheduled_for - start, r.state) for r in found] == [
        (timedelta(hours=3, minutes=1), "pending")
    ]


def materialize_concurrently(
    url: str, *, schedulers: int, now: datetime
) -> list[domain.Materialized]:
    results: list[domain.Materialized] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(schedulers)

    def one_scheduler() -> None:
        engine = dialect.create_engine(url)
        try:
            own = slot_ledger.SqlSlotLedger(engine)
            barrier.wait()
            while True:
                done = own.materialize(now=now, lookahead=LOOKAHEAD, batch=3)
                results.append(done)
                if not done.more:
                    return
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one_scheduler) for _ in range(schedulers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_concurrent_schedulers_write_each_slot_exactly_once(
    store: sql_catalog.SqlCatalog,
    database_url: str,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    made = [
        add(store, workflow, now=start, name=f"s{n}", cron=f"*/{n % 4 + 1} * * * *")
        for n in range(8)
    ]
    now = start + 20 * MINUTE
    results = materialize_concurrently(database_url, schedulers=4, now=now)

    found = runs_of(store)
    assert sum(r.pending + r.missed for r in results) == len(found)
    per_slot = Counter((row.schedule_id, row.scheduled_for) for row in found)
    expected = {
        (schedule.id, at)
        for schedule in made
        for at in Cadence.of_schedule(schedule).slots_from(start, until=now + LOOKAHEAD)
    }
    assert set(per_slot) == expected
    assert set(per_slot.values()) == {1}


SCHEDULER_PROCESS = """
import sys
from datetime import datetime, timedelta
from cronwright.store.database import dialect
from cronwright.store.slots import slot_ledger

slots = slot_ledger.SqlSlotLedger(dialect.create_engine(sys.argv[1]))
now = datetime.fromisoformat(sys.argv[2])
while slots.materialize(now=now, lookahead=timedelta(seconds=10), batch=2).more:
    pass
"""


def test_scheduler_processes_racing_write_each_slot_exactly_once(
    store: sql_catalog.SqlCatalog, database_url: str, workflow: domain.Workflow, start: datetime
) -> None:
    made = [
        add(store, workflow, now=start, name=f"s{n}", cron="* * * * * *", catchup=policy)
        for n, policy in enumerate(domain.CatchupPolicy)
    ]
    now = start + 5 * MINUTE
    processes = [
        subprocess.Popen([sys.executable, "-c", SCHEDULER_PROCESS, database_url, now.isoformat()])
        for _ in range(3)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]

    per_slot = Counter((row.schedule_id, row.scheduled_for) for row in runs_of(store))
    expected = {
        (schedule.id, at)
        for schedule in made
        for at in Cadence.of_schedule(schedule).slots_from(start, until=now + LOOKAHEAD)
    }
    assert set(per_slot) == expected
    assert set(per_slot.values()) == {1}


CRASHING_SCHEDULER = """
import os, signal, sys
from datetime import datetime, timedelta
from cronwright.planning.materialize import SlotPlanner
from cronwright.store.database import dialect
from cronwright.store.slots import slot_ledger

planner, planned = SlotPlanner(), []

def plan_then_die(schedule, *, now, until):
    planned.append(schedule.id)
    if len(planned) == 3:  # two schedules' runs are written, not committed
        os.kill(os.getpid(), signal.SIGKILL)
    return planner(schedule, now=now, until=until)

slots = slot_ledger.SqlSlotLedger(dialect.create_engine(sys.argv[1]))
now = datetime.fromisoformat(sys.argv[2])
slots.materialize(now=now, lookahead=timedelta(seconds=10), plan=plan_then_die)
"""


def test_a_scheduler_killed_mid_transaction_loses_and_duplicates_nothing(
    store: sql_catalog.SqlCatalog,
    database_url: str,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    made = [add(store, workflow, now=start, name=f"s{n}") for n in range(4)]
    now = start + 3 * MINUTE
    killed = subprocess.run(
        [sys.executable, "-c", CRASHING_SCHEDULER, database_url, now.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr
    assert runs_of(store) == []  # nothing of the killed transaction survived
    assert all(next_fire_of(store, s.id) == start for s in made)

    slots.materialize(now=now, lookahead=LOOKAHEAD)
    per_slot = Counter((row.schedule_id, row.scheduled_for) for row in runs_of(store))
    assert len(per_slot) == 4 * 4
    assert set(per_slot.values()) == {1}


def test_writing_pending_runs_signals_workers_and_writing_none_does_not(
    store: sql_catalog.SqlCatalog, workflow: domain.Workflow, start: datetime
) -> None:
    calls: list[None] = []
    slots = slot_ledger.SqlSlotLedger(store.engine, on_pending=lambda: calls.append(None))
    add(store, workflow, now=start, catchup=domain.CatchupPolicy.NONE)
    slots.materialize(now=start, lookahead=LOOKAHEAD)
    slots.materialize(now=start + 30 * timedelta(seconds=1), lookahead=LOOKAHEAD)  # not due
    assert len(calls) == 1


@pytest.mark.postgres
def test_postgres_notifies_listeners_once_per_transaction(
    request: pytest.FixtureRequest, tmp_path: Path, t0: datetime
) -> None:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "postgres", tmp_path))
    request.addfinalizer(store.close)
    org = store.create_organization(name="o", max_schedules=10, max_concurrent_runs=5, now=t0)
    workflow = store.add_workflow(org_id=org.id, name="w", definition=DEFINITION, now=t0)
    start = t0.replace(second=0, microsecond=0)
    for n in range(3):
        add(store, workflow, now=start, name=f"s{n}")
    slots = slot_ledger.SqlSlotLedger(store.engine)
    dsn = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {slot_ledger.RUNS_CHANNEL}")
        slots.materialize(now=start + MINUTE, lookahead=LOOKAHEAD)
        received = list(listener.notifies(timeout=5, stop_after=1))
        assert [n.channel for n in received] == [slot_ledger.RUNS_CHANNEL]
        assert list(listener.notifies(timeout=0.2)) == []  # one per transaction, not per run


def test_the_database_clock_follows_the_server_between_readings(
    store: sql_catalog.SqlCatalog,
) -> None:
    ticks = [100.0]
    clock = DatabaseClock(
        store.engine, resync_every=timedelta(seconds=30), monotonic=lambda: ticks[0]
    )
    first = clock.now()
    ticks[0] += 12.5
    assert clock.now() == first + timedelta(seconds=12.5)  # extrapolated, no round trip
    ticks[0] += 30
    resynced = clock.now()
    assert resynced >= first + timedelta(seconds=12.5)  # never backwards across a resync
    assert resynced < first + timedelta(seconds=42.5)  # the server's reading, not extrapolation
    assert abs(resynced - read_database_now(store.engine)) < timedelta(minutes=1)


def test_after_writing_many_runs_postgresql_statistics_of_runs_are_refreshed(
    store: sql_catalog.SqlCatalog, workflow: domain.Workflow, start: datetime
) -> None:
    on_postgresql = store.engine.dialect.name == "postgresql"
    for n in range(3):
        add(store, workflow, now=start, name=f"s{n}", cron="* * * * * *")  # every second
    slots = slot_ledger.SqlSlotLedger(store.engine, analyze_after=100)

    def estimated_runs() -> float:
        if not on_postgresql:  # SQLite's planner needs no statistics for the claim
            return -1.0
        with store.engine.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'runs'"
            ).scalar_one()
            return float(found)

    assert estimated_runs() <= 0  # never analyzed: the planner guesses
    slots.materialize(now=start, lookahead=timedelta(seconds=20))  # 3 x 21 slots: not yet
    assert estimated_runs() <= 0
    slots.materialize(now=start + timedelta(seconds=20), lookahead=timedelta(seconds=20))
    assert len(runs_of(store)) == 3 * 41
    assert estimated_runs() == (3 * 41 if on_postgresql else -1.0)
