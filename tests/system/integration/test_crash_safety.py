"""A process SIGKILLed in the middle of a schedule update leaves the old version or the new one,
never a mix: row, snapshot and audit event commit together or not at all. Both backends."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cronwright import domain, service
from cronwright.clock import SystemClock
from cronwright.store.catalog import sql_catalog

CHILD = Path(__file__).with_name("crash_child.py")
STEPS = {"steps": [{"name": "call", "kind": "http"}]}


@pytest.fixture
def setup(store: sql_catalog.SqlCatalog) -> tuple[service.Service, domain.Schedule]:
    svc = service.Service.build(store, SystemClock())
    org = svc.organizations.create("acme")
    workflow = svc.workflows.create(org.id, name="w", definition=STEPS)
    spec = domain.ScheduleSpec(workflow_id=workflow.id, name="old", cron="0 3 * * *")
    return svc, svc.schedules.create(org.id, spec, author="parent")


def start_child(url: str, schedule: domain.Schedule, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), url, str(schedule.org_id), str(schedule.id), mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.stdout is not None
    child.stdout.close()


def assert_whole(svc: service.Service, schedule: domain.Schedule) -> domain.Schedule:
    """The schedule row, its snapshots and its events all describe the same history."""
    current = svc.schedules.get(schedule.org_id, schedule.id)
    versions = svc.schedules.versions(schedule.org_id, schedule.id)
    events = svc.schedules.events(schedule.org_id, schedule.id)
    assert [v.version for v in versions] == list(range(1, current.version + 1))
    assert [e.version for e in events] == list(range(1, current.version + 1))
    assert versions[-1].spec == current.spec
    return current


def test_a_kill_between_the_row_update_and_the_commit_leaves_the_old_version(
    database_url: str, setup: tuple[service.Service, domain.Schedule]
) -> None:
    svc, schedule = setup
    child = start_child(database_url, schedule, "pause-mid-update")
    assert child.stdout is not None
    assert child.stdout.readline() == "MID-UPDATE\n"
    kill(child)
    after = assert_whole(svc, schedule)
    assert after == schedule
    # The dead writer's lock is gone: the next edit goes through.
    edited = svc.schedules.update(schedule.org_id, schedule.id, {"name": "next"}, author="parent")
    assert edited.version == 2
    assert_whole(svc, schedule)


def test_kills_at_random_moments_of_a_busy_editor_leave_whole_versions(
    database_url: str, setup: tuple[service.Service, domain.Schedule]
) -> None:
    svc, schedule = setup
    rng = random.Random(7)
    committed = 1
    for _ in range(3):
        child = start_child(database_url, schedule, "loop")
        assert child.stdout is not None
        assert int(child.stdout.readline()) > committed  # running and committing
        time.sleep(rng.uniform(0.05, 0.3))
        kill(child)
        current = assert_whole(svc, schedule)
        assert current.version > committed
        committed = current.version
