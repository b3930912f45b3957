"""The scheduler loop over a real store, driven by a fake clock: no sleeping, no timing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.engine.scheduler import Scheduler, SchedulerSettings
from cronwright.planning.slots import Cadence
from cronwright.store.catalog import sql_catalog
from cronwright.store.database.schema import RunRow
from cronwright.store.slots import slot_ledger

S = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HALF = timedelta(milliseconds=500)
DEFINITION = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}


class StoppingClock(FakeClock):
    """A fake clock that sets ``stop`` once the loop has slept ``sleeps`` times; a hook may run
    at each sleep (an outage, an edit) before time jumps."""

    def __init__(self, start: datetime, stop: threading.Event, sleeps: int) -> None:
        super().__init__(start)
        self.stop, self.sleeps = stop, sleeps
        self.on_sleep: dict[int, timedelta] = {}  # sleep number -> extra time lost (an outage)

    def sleep_until(self, deadline: datetime) -> None:
        super().sleep_until(deadline)
        self.current += self.on_sleep.get(len(self.slept_until), timedelta(0))
        if len(self.slept_until) >= self.sleeps:
            self.stop.set()


@pytest.fixture
def start(t0: datetime) -> datetime:
    return t0.replace(second=0, microsecond=0)


@pytest.fixture
def slots(store: sql_catalog.SqlCatalog) -> slot_ledger.SqlSlotLedger:
    return slot_ledger.SqlSlotLedger(store.engine)


@pytest.fixture
def workflow(store: sql_catalog.SqlCatalog, start: datetime) -> domain.Workflow:
    svc = service.Service.build(store, FakeClock(start))
    org = svc.organizations.create("acme", max_schedules=50)
    return svc.workflows.create(org.id, name="ping", definition=DEFINITION)


def create(
    store: sql_catalog.SqlCatalog, workflow: domain.Workflow, at: datetime, **changes: object
) -> domain.Schedule:
    spec = domain.ScheduleSpec(workflow_id=workflow.id, name="s", cron="* * * * *")
    schedules = service.Schedules(store, FakeClock(at))
    return schedules.create(workflow.org_id, spec.replace(**changes), author="test")


def runs(store: sql_catalog.SqlCatalog) -> list[RunRow]:
    with Session(store.engine) as session:
        query = sa.select(RunRow).order_by(RunRow.schedule_id, RunRow.scheduled_for)
        return list(session.scalars(query))


def test_a_tick_materializes_what_is_due_and_counts_it(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    create(store, workflow, start - 10 * S)
    clock = FakeClock(start - 5 * S)  # within the 10 s lookahead of the 00 s slot
    scheduler = Scheduler(slots, clock)
    report = scheduler.tick()
    assert (report.passes, report.schedules, report.pending, report.missed) == (1, 1, 1, 0)
    assert [r.scheduled_for for r in runs(store)] == [start]  # written before it is due
    stats = scheduler.stats()
    assert stats.ticks == 1
    assert stats.runs_materialized == {domain.RunState.PENDING: 1, domain.RunState.MISSED: 0}
    assert stats.last_tick_at == start - 5 * S
    assert stats.last_tick_duration is not None
    assert len(stats.tick_durations) == 1


def test_a_tick_with_nothing_due_within_the_lookahead_opens_no_write_transaction(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    create(store, workflow, start - 10 * S)  # its next fire is at ``start``
    writes: list[datetime] = []
    materialize = slots.materialize

    def counted(**kwargs: Any) -> domain.Materialized:
        writes.append(kwargs["now"])
        return materialize(**kwargs)

    slots.materialize = counted  # type: ignore[method-assign]
    early = Scheduler(slots, FakeClock(start - 11 * S))  # the slot is 11 s away: lookahead 10 s
    assert early.tick().passes == 0
    assert writes == []
    assert runs(store) == []
    on_time = Scheduler(slots, FakeClock(start - 10 * S))
    assert on_time.tick().passes == 1
    assert writes == [start - 10 * S]
    assert [r.scheduled_for for r in runs(store)] == [start]


def test_a_tick_keeps_going_while_batches_come_back_full(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    for n in range(7):
        create(store, workflow, start - MINUTE, name=f"s{n}", input={"n": n})
    scheduler = Scheduler(slots, FakeClock(start), SchedulerSettings(batch=3))
    report = scheduler.tick()
    assert (report.passes, report.schedules, report.pending) == (3, 7, 7)


def test_run_forever_sleeps_until_lookahead_before_each_slot_and_writes_each_once(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    schedule = create(store, workflow, start - MINUTE, cron="*/2 * * * *")
    stop = threading.Event()
    clock = StoppingClock(start - 30 * S, stop, sleeps=60)
    settings = SchedulerSettings(lookahead=10 * S, max_poll=timedelta(minutes=5))
    scheduler = Scheduler(slots, clock, settings)
    scheduler.run_forever(stop)

    found = runs(store)
    last_tick_at = scheduler.stats().last_tick_at
    assert last_tick_at is not None
    expected = list(Cadence.of_schedule(schedule).slots_from(start, until=last_tick_at + 10 * S))
    assert len(expected) > 50
    assert [r.scheduled_for for r in found] == expected
    assert {r.state for r in found} == {"pending"}
    # It woke exactly lookahead before each slot, off the beat (half a second after the
    # whole second where workers start runs): no busy polling, no late writes.
    assert clock.slept_until[:3] == [
        start - 10 * S + HALF,
        start + 2 * MINUTE - 10 * S + HALF,
        start + 4 * MINUTE - 10 * S + HALF,
    ]


def test_every_slot_ends_as_exactly_one_run_across_outages(
    store: sql_catalog.SqlCatalog,
    slots: slot_ledger.SqlSlotLedger,
    workflow: domain.Workflow,
    start: datetime,
) -> None:
    schedules = [
        create(store, workflow, start, name=f"s{n}", cron=cron, catchup=policy, input={"n": n})
        for n, (cron, policy) in enumerate(
            [
                ("* * * * *", domain.CatchupPolicy.LATEST),
                ("*/3 * * * *", domain.CatchupPolicy.NONE),
                ("*/7 * * * *", domain.CatchupPolicy.ALL),
            ]
        )
    ]
    stop = threading.Event()
    clock = StoppingClock(start, stop, sleeps=200)
    clock.on_sleep = {20: timedelta(minutes=17), 90: timedelta(hours=1, seconds=13)}  # outages
    Scheduler(slots, clock, SchedulerSettings(max_poll=37 * S)).run_forever(stop)

    found = runs(store)
    per_slot = Counter((r.schedule_id, r.scheduled_for) for r in found)
    assert set(per_slot.values()) == {1}
    for schedule in schedules:
        mine = sorted(at for sid, at in per_slot if sid == schedule.id)
        assert schedule.next_fire_at is not None
        assert mine == list(
            Cadence.of_schedule(schedule).slots_from(schedule.next_fire_at, until=mine[-1])
        )
    assert {r.state for r in found} == {"pending", "missed"}
    assert all(r.reason for r in found if r.state == "missed")


def test_wake_ticks_early_and_stop_ends_the_loop_from_another_thread(
    slots: slot_ledger.SqlSlotLedger, start: datetime
) -> None:
    class BlockingClock(FakeClock):
        """Sleeps until woken, like the real clock, but never moves time."""

        def __init__(self, at: datetime) -> None:
            super().__init__(at)
            self.woken = threading.Event()
            self.sleeping = threading.Event()

        def sleep_until(self, deadline: datetime) -> None:
            self.slept_until.append(deadline)
            self.sleeping.set()
            self.woken.wait()
            self.woken.clear()

        def wake(self) -> None:
            super().wake()
            self.woken.set()

    clock = BlockingClock(start)
    scheduler = Scheduler(slots, clock)
    loop = threading.Thread(target=scheduler.run_forever)
    loop.start()
    assert clock.sleeping.wait(timeout=30)
    clock.sleeping.clear()
    scheduler.wake()  # a schedule changed: tick now, not at the planned wake-up
    assert clock.sleeping.wait(timeout=30)
    assert scheduler.stats().ticks == 2
    scheduler.stop()
    loop.join(timeout=30)
    assert not loop.is_alive()
    assert scheduler.stats().ticks == 2
