"""SQLite: the writers of one process take turns on one lock instead of SQLite's busy handler."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

from tests.contract.conftest import DEFINITION

from cronwright import domain
from cronwright.planning import materialize
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import dialect
from cronwright.store.run_queue import sql_queue
from cronwright.store.slots import slot_ledger


def test_a_claim_waits_for_the_schedulers_transaction_instead_of_failing_on_busy_timeout(
    tmp_path: Path, t0: datetime
) -> None:
    """The scheduler holds SQLite's write lock longer than the busy timeout (here while it
    plans): a claim in the same process waits its turn, and then takes the run just written."""
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    migrations.upgrade(url)
    engine = dialect.create_engine(url, busy_timeout_ms=50)
    store = sql_catalog.SqlCatalog(engine)
    org = store.create_organization(name="acme", max_schedules=10, max_concurrent_runs=5, now=t0)
    workflow = store.add_workflow(org_id=org.id, name="ping", definition=DEFINITION, now=t0)
    spec = domain.ScheduleSpec(workflow_id=workflow.id, name="each second", cron="* * * * * *")
    schedule = store.add_schedule(
        org_id=org.id, spec=spec, hash_key="k", next_fire_at=t0, author="alice", now=t0
    )
    slots = slot_ledger.SqlSlotLedger(engine)
    runs = sql_queue.SqlRunQueue(engine)
    planning = threading.Event()
    go_on = threading.Event()

    def slow_plan(
        schedule: domain.Schedule, *, now: datetime, until: datetime
    ) -> materialize.SchedulePlan:
        planning.set()
        go_on.wait(10)
        return materialize.SlotPlanner().plan(schedule, now=now, until=until)

    scheduler = threading.Thread(
        target=lambda: slots.materialize(now=t0, lookahead=timedelta(seconds=1), plan=slow_plan)
    )
    scheduler.start()
    assert planning.wait(10)
    claimed: list[list[domain.ClaimedRun]] = []
    failures: list[Exception] = []

    def claim() -> None:
        try:
            claimed.append(runs.claim("w1", now=t0 + timedelta(seconds=2), limit=5))
        except Exception as exc:
            failures.append(exc)

    claimer = threading.Thread(target=claim)
    claimer.start()
    go_on.wait(0.5)  # ten busy timeouts
    go_on.set()
    scheduler.join(10)
    claimer.join(10)
    engine.dispose()
    assert failures == []
    assert [run.run.schedule_id for run in claimed[0]] == [schedule.id]
