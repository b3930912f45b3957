"""A manual run of a schedule, and the retry of a run, name the schedule wherever runs are read,
on both backends: the row keeps no ``schedule_id`` (it is no slot), the version that made it
names the schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.service.triggers import Triggers
from cronwright.store.catalog import sql_catalog
from cronwright.store.slots import slot_ledger

NOW = datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC)
STEPS = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}


def test_manual_runs_name_their_schedule(store: sql_catalog.SqlCatalog) -> None:
    clock = FakeClock(NOW)
    svc = service.Service.build(store, clock)
    org = svc.organizations.create("acme")
    workflow = svc.workflows.create(org.id, name="w", definition=STEPS)
    schedule = svc.schedules.create(
        org.id,
        domain.ScheduleSpec(workflow_id=workflow.id, name="hourly", cron="0 * * * *"),
        author="t",
    )
    triggers = Triggers(store, slot_ledger.SqlSlotLedger(store.engine), clock)
    run = triggers.trigger_now(org.id, schedule.id)
    assert svc.runs.get(org.id, run.id).schedule_id == schedule.id
    listed = svc.runs.list(org.id).items
    assert [(r.id, r.trigger, r.schedule_id) for r in listed] == [
        (run.id, domain.Trigger.MANUAL, schedule.id)
    ]
    assert [r.id for r in svc.runs.list_for_schedule(org.id, schedule.id).items] == [run.id]
