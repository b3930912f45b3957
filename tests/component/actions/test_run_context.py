"""Every step knows which slot it runs for: ``ctx.run`` and ``{{ run.* }}`` references, on both
backends, for backfilled, manual, retried and bare runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.component.actions.conftest import Server
from tests.conftest import LOCAL_OUTBOUND, fresh_database_url
from tests.support.rows import add_run

from cronwright import actions, domain, errors, service
from cronwright.actions import StepContext
from cronwright.clock import FakeClock
from cronwright.engine.executor import Executor
from cronwright.service import chains, triggers
from cronwright.store.catalog import sql_catalog
from cronwright.store.run_queue import sql_queue
from cronwright.store.slots import slot_ledger

BERLIN = "Europe/Berlin"
# A week of Berlin nights around the spring change of 2025-03-30: 01:59:59+01:00 is followed by
# 03:00:00+02:00, so local 02:00 does not exist that night. ``0 2 * * *`` is fixed-time: the
# policy ``auto`` fires it once, at the transition instant (03:00+02:00). The interval of the
# night after it is 23 hours long. Each row: the slot (local), its day, and the slot before it.
EXPECTED = [
    ("2025-03-27T02:00:00+01:00", "2025-03-27", "2025-03-26T01:00:00+00:00"),
    ("2025-03-28T02:00:00+01:00", "2025-03-28", "2025-03-27T01:00:00+00:00"),
    ("2025-03-29T02:00:00+01:00", "2025-03-29", "2025-03-28T01:00:00+00:00"),
    ("2025-03-30T03:00:00+02:00", "2025-03-30", "2025-03-29T01:00:00+00:00"),
    ("2025-03-31T02:00:00+02:00", "2025-03-31", "2025-03-30T01:00:00+00:00"),
    ("2025-04-01T02:00:00+02:00", "2025-04-01", "2025-03-31T00:00:00+00:00"),
    ("2025-04-02T02:00:00+02:00", "2025-04-02", "2025-04-01T00:00:00+00:00"),
]
NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)


def utc(local_iso: str) -> str:
    return datetime.fromisoformat(local_iso).astimezone(UTC).isoformat()


def in_berlin(utc_iso: str) -> str:
    return datetime.fromisoformat(utc_iso).astimezone(ZoneInfo(BERLIN)).isoformat()


def seen_by_python(ctx: StepContext) -> dict[str, Any]:
    run = ctx.run
    return {
        "scheduled_for": run.scheduled_for.isoformat(),
        "local": run.scheduled_for_local.isoformat(),
        "date": run.date_local.isoformat(),
        "interval_start": None if run.interval_start is None else run.interval_start.isoformat(),
        "trigger": run.trigger.value,
        "schedule_id": run.schedule_id,
        "schedule_name": run.schedule_name,
    }


@dataclass
class World:
    store: sql_catalog.SqlCatalog
    clock: FakeClock
    svc: service.Service
    triggers: triggers.Triggers
    queue: sql_queue.SqlRunQueue
    executor: Executor
    org: domain.Organization
    failing: threading.Event

    def run_all(self) -> list[domain.Run]:
        """Claim and execute every run that is due; the runs as they ended, in slot order."""
        claimed = self.queue.claim("w1", now=self.clock.now(), limit=50)
        for one in claimed:
            outcome = self.executor.execute(one)
            assert outcome is not None
            self.queue.finish(
                one.id, worker_id="w1", attempt=one.attempt, outcome=outcome, now=self.clock.now()
            )
        return sorted(
            (self.store.get_run(self.org.id, one.id) for one in claimed),
            key=lambda run: run.scheduled_for,
        )

    def outputs(self, run: domain.Run) -> dict[str, Any]:
        steps = self.store.list_run_steps(self.org.id, run.id)
        assert all(step.state is domain.RunState.SUCCEEDED for step in steps), steps
        return {step.name: step.output for step in steps}


@pytest.fixture
def world(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[World]:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, backend, tmp_path))
    clock = FakeClock(NOW)
    functions = actions.PythonFunctions()
    failing = threading.Event()

    def seen(ctx: StepContext) -> dict[str, Any]:
        if failing.is_set():
            raise RuntimeError("failing as asked")
        return seen_by_python(ctx)

    functions.register("seen", seen)
    registry = actions.default_registry(functions)
    starter = chains.ChainStarter(store, slot_ledger.SqlSlotLedger(store.engine), clock)
    actions.install_default_actions(
        registry, allow_shell=False, trigger_port=starter, outbound_policy=LOCAL_OUTBOUND
    )
    run_queue = sql_queue.SqlRunQueue(store.engine, unit_random=lambda: 1.0)
    svc = service.Service.build(store, clock, check_config=registry.check_config)
    org = svc.organizations.create("acme", max_schedules=10)
    yield World(
        store=store,
        clock=clock,
        svc=svc,
        triggers=triggers.Triggers(store, slot_ledger.SqlSlotLedger(store.engine), clock),
        queue=run_queue,
        executor=Executor(registry, clock, run_queue),
        org=org,
        failing=failing,
    )
    store.close()


def nightly(world: World, server: Server, *, name: str = "nightly-report") -> domain.Schedule:
    slot = {
        "date": "{{ run.date_local }}",
        "scheduled_for": "{{ run.scheduled_for }}",
        "local": "{{ run.scheduled_for_local }}",
        "interval_start": "{{ run.interval_start }}",
        "interval_start_local": "{{ run.interval_start_local }}",
        "trigger": "{{ run.trigger }}",
        "schedule": "{{ run.schedule.name }}",
        "zone": "{{ run.timezone }}",
    }
    steps = [
        {
            "name": "post",
            "kind": "http",
            "config": {
                "method": "POST",
                "url": f"{server.url}/reports/{{{{ run.date_local }}}}",
                "headers": {"X-Slot": "{{ run.scheduled_for }}"},
                "json": slot,
            },
        },
        {"name": "python", "kind": "python", "config": {"function": "seen"}},
    ]
    workflow = world.svc.workflows.create(world.org.id, name="report", definition={"steps": steps})
    spec = world.svc.schedules.new_spec(
        workflow_id=workflow.id,
        name=name,
        cron="0 2 * * *",
        timezone=BERLIN,
        # The backfill's first slot is the schedule's first: its interval still has a start.
        start_at=datetime.fromisoformat("2025-03-27T00:00:00+01:00"),
        max_attempts=1,
    )
    return world.svc.schedules.create(world.org.id, spec, author="test")


def test_a_backfill_across_a_dst_change_runs_each_night_for_its_own_slot(
    world: World, server: Server
) -> None:
    schedule = nightly(world, server)
    done = world.triggers.backfill(
        world.org.id,
        schedule.id,
        since=datetime(2025, 3, 20, tzinfo=UTC),
        until=datetime(2025, 4, 2, 12, tzinfo=UTC),
    )
    assert done.count(triggers.BackfillOutcome.CREATED) == 7

    runs = world.run_all()

    assert [run.state for run in runs] == [domain.RunState.SUCCEEDED] * 7
    posts = sorted(
        (r for r in server.requests if r["method"] == "POST"), key=lambda r: str(r["path"])
    )
    assert len(posts) == 7
    for run, post, (local, day, start) in zip(runs, posts, EXPECTED, strict=True):
        outputs = world.outputs(run)
        assert outputs["python"] == {
            "scheduled_for": utc(local),
            "local": local,
            "date": day,
            "interval_start": start,
            "trigger": "backfill",
            "schedule_id": schedule.id,
            "schedule_name": "nightly-report",
        }
        assert post["path"] == f"/reports/{day}"
        headers = post["headers"]
        assert isinstance(headers, dict)
        assert headers["x-slot"] == utc(local)
        assert post["json"] == {
            "date": day,
            "scheduled_for": utc(local),
            "local": local,
            "interval_start": start,
            "interval_start_local": in_berlin(start),
            "trigger": "backfill",
            "schedule": "nightly-report",
            "zone": BERLIN,
        }


def test_a_retry_keeps_its_slot_and_a_manual_run_is_for_its_request_time(
    world: World, server: Server
) -> None:
    schedule = nightly(world, server)
    world.triggers.backfill(
        world.org.id,
        schedule.id,
        since=datetime(2025, 3, 31, 12, tzinfo=UTC),
        until=datetime(2025, 4, 1, 12, tzinfo=UTC),
    )
    world.failing.set()
    [failed] = world.run_all()
    assert failed.state is domain.RunState.FAILED
    world.failing.clear()
    # The schedule moves on (another expression, zone and name); a retry is still for the slot
    # and interval of the version that made the run, and a manual run is for now.
    world.svc.schedules.update(
        world.org.id,
        schedule.id,
        {"cron": "0 6 * * *", "timezone": "America/New_York", "name": "morning-report"},
        author="test",
    )
    retry = world.triggers.retry_run(world.org.id, failed.id)
    manual = world.triggers.trigger_now(world.org.id, schedule.id)

    ran = {run.id: run for run in world.run_all()}

    assert world.outputs(ran[retry.id])["python"] == {
        "scheduled_for": "2025-04-01T00:00:00+00:00",
        "local": "2025-04-01T02:00:00+02:00",
        "date": "2025-04-01",
        "interval_start": "2025-03-31T00:00:00+00:00",
        "trigger": "retry",
        "schedule_id": schedule.id,
        "schedule_name": "nightly-report",
    }
    # 2025-04-05 12:00 UTC is 08:00 in New York (EDT, -04:00); its last 06:00 was 10:00 UTC.
    assert world.outputs(ran[manual.id])["python"] == {
        "scheduled_for": "2025-04-05T12:00:00+00:00",
        "local": "2025-04-05T08:00:00-04:00",
        "date": "2025-04-05",
        "interval_start": "2025-04-05T10:00:00+00:00",
        "trigger": "manual",
        "schedule_id": schedule.id,
        "schedule_name": "morning-report",
    }


def test_a_run_of_a_bare_workflow_has_its_slot_in_utc_and_no_schedule(world: World) -> None:
    steps = [{"name": "python", "kind": "python", "config": {"function": "seen"}}]
    workflow = world.svc.workflows.create(world.org.id, name="bare", definition={"steps": steps})
    added = add_run(
        world.store,
        domain.NewRun(
            org_id=world.org.id,
            workflow_id=workflow.id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=NOW,
            available_at=NOW,
            max_attempts=1,
            created_at=NOW,
        ),
    )
    assert added is not None
    [ran] = world.run_all()
    assert world.outputs(ran)["python"] == {
        "scheduled_for": "2025-04-05T12:00:00+00:00",
        "local": "2025-04-05T12:00:00+00:00",
        "date": "2025-04-05",
        "interval_start": None,
        "trigger": "manual",
        "schedule_id": None,
        "schedule_name": None,
    }


def test_a_run_reference_to_an_unknown_field_is_refused_when_the_workflow_is_saved(
    world: World,
) -> None:
    steps = [
        {
            "name": "call",
            "kind": "http",
            "config": {"url": "https://example.org/{{ run.local_date }}"},
        }
    ]
    with pytest.raises(errors.InvalidInput) as raised:
        world.svc.workflows.create(world.org.id, name="typo", definition={"steps": steps})
    assert raised.value.field == "definition.steps[0].config"
    assert "{{ run.local_date }}: a run reference is one of run.scheduled_for" in str(raised.value)


def test_the_first_slot_the_scheduler_writes_has_the_interval_before_it(world: World) -> None:
    workflow = world.svc.workflows.create(
        world.org.id,
        name="first",
        definition={
            "steps": [{"name": "python", "kind": "python", "config": {"function": "seen"}}]
        },
    )
    spec = world.svc.schedules.new_spec(
        workflow_id=workflow.id, name="first", cron="0 2 * * *", timezone=BERLIN
    )
    schedule = world.svc.schedules.create(world.org.id, spec, author="test")
    world.clock.advance(timedelta(hours=12, seconds=5))  # past 2025-04-06 02:00 in Berlin
    slots = slot_ledger.SqlSlotLedger(world.store.engine)
    slots.materialize(now=world.clock.now(), lookahead=timedelta(0))
    [ran] = world.run_all()
    # Created at 14:00 local on 2025-04-05, its first slot is the next night; the interval of
    # that slot starts at the night before, as every other slot's does.
    assert world.outputs(ran)["python"] == {
        "scheduled_for": "2025-04-06T00:00:00+00:00",
        "local": "2025-04-06T02:00:00+02:00",
        "date": "2025-04-06",
        "interval_start": "2025-04-05T00:00:00+00:00",
        "trigger": "schedule",
        "schedule_id": schedule.id,
        "schedule_name": "first",
    }


def test_a_chained_run_is_for_its_start_and_gets_the_slot_it_is_passed(world: World) -> None:
    python = {"name": "python", "kind": "python", "config": {"function": "seen"}}
    chained = world.svc.workflows.create(world.org.id, name="b", definition={"steps": [python]})
    start = {
        "name": "start",
        "kind": "trigger",
        "config": {"workflow_id": chained.id, "input": {"day": "{{ run.date_local }}"}},
    }
    first = world.svc.workflows.create(world.org.id, name="a", definition={"steps": [start]})
    spec = world.svc.schedules.new_spec(
        workflow_id=first.id, name="a", cron="0 2 * * *", timezone=BERLIN
    )
    schedule = world.svc.schedules.create(world.org.id, spec, author="test")
    world.triggers.backfill(
        world.org.id,
        schedule.id,
        since=datetime(2025, 3, 31, 12, tzinfo=UTC),
        until=datetime(2025, 4, 1, 12, tzinfo=UTC),
    )
    [parent] = world.run_all()
    [child] = world.run_all()
    assert child.trigger is domain.Trigger.CHAIN
    assert child.input == {"day": "2025-04-01"}
    assert world.outputs(child)["python"] == {
        "scheduled_for": "2025-04-05T12:00:00+00:00",
        "local": "2025-04-05T12:00:00+00:00",
        "date": "2025-04-05",
        "interval_start": None,
        "trigger": "chain",
        "schedule_id": None,
        "schedule_name": None,
    }
    assert parent.state is domain.RunState.SUCCEEDED
