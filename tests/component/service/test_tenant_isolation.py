"""Every use case, called with another organization's ids, behaves as "not found"; no list ever
shows another organization's rows. Runs on both backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from tests.component.service.conftest import STEPS, spec_for
from tests.support.rows import add_run

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog


@dataclass(frozen=True, kw_only=True)
class Ids:
    me: domain.OrganizationId
    theirs: domain.OrganizationId
    workflow: domain.WorkflowId
    schedule: domain.ScheduleId
    run: domain.RunId
    key: domain.ApiKeyId


@pytest.fixture
def world(store: sql_catalog.SqlCatalog, t0: datetime) -> tuple[service.Service, Ids]:
    svc = service.Service.build(store, FakeClock(t0))
    mine = svc.organizations.create("mine")
    theirs = svc.organizations.create("theirs")
    workflow = svc.workflows.create(theirs.id, name="theirs", definition=STEPS)
    schedule = svc.schedules.create(theirs.id, spec_for(workflow), author="them")
    run = add_run(
        store,
        domain.NewRun(
            org_id=theirs.id,
            workflow_id=workflow.id,
            schedule_id=schedule.id,
            schedule_version_id=None,
            trigger=domain.Trigger.SCHEDULE,
            scheduled_for=t0,
            available_at=t0,
            max_attempts=1,
            created_at=t0,
        ),
    )
    key = svc.organizations.issue_api_key(theirs.id, name="k", role=domain.Role.ADMIN).key
    svc.workflows.create(mine.id, name="mine", definition=STEPS)
    assert run is not None
    return svc, Ids(
        me=mine.id,
        theirs=theirs.id,
        workflow=workflow.id,
        schedule=schedule.id,
        run=run.id,
        key=key.id,
    )


CALLS: dict[str, tuple[type[errors.NotFound], Callable[[service.Service, Ids], object]]] = {
    "get workflow": (errors.WorkflowNotFound, lambda s, i: s.workflows.get(i.me, i.workflow)),
    "update workflow": (
        errors.WorkflowNotFound,
        lambda s, i: s.workflows.update(i.me, i.workflow, name="x"),
    ),
    "delete workflow": (errors.WorkflowNotFound, lambda s, i: s.workflows.delete(i.me, i.workflow)),
    "get schedule": (errors.ScheduleNotFound, lambda s, i: s.schedules.get(i.me, i.schedule)),
    "update schedule": (
        errors.ScheduleNotFound,
        lambda s, i: s.schedules.update(i.me, i.schedule, {"name": "x"}, author="me"),
    ),
    "pause": (
        errors.ScheduleNotFound,
        lambda s, i: s.schedules.pause(i.me, i.schedule, author="me"),
    ),
    "resume": (
        errors.ScheduleNotFound,
        lambda s, i: s.schedules.resume(i.me, i.schedule, author="me"),
    ),
    "delete schedule": (
        errors.ScheduleNotFound,
        lambda s, i: s.schedules.delete(i.me, i.schedule, author="me"),
    ),
    "preview": (errors.ScheduleNotFound, lambda s, i: s.schedules.preview(i.me, i.schedule)),
    "versions": (errors.ScheduleNotFound, lambda s, i: s.schedules.versions(i.me, i.schedule)),
    "version": (errors.ScheduleNotFound, lambda s, i: s.schedules.version(i.me, i.schedule, 1)),
    "diff": (errors.ScheduleNotFound, lambda s, i: s.schedules.diff(i.me, i.schedule, 1, 1)),
    "rollback": (
        errors.ScheduleNotFound,
        lambda s, i: s.schedules.rollback(i.me, i.schedule, 1, author="me"),
    ),
    "events": (errors.ScheduleNotFound, lambda s, i: s.schedules.events(i.me, i.schedule)),
    "schedule runs": (
        errors.ScheduleNotFound,
        lambda s, i: s.runs.list_for_schedule(i.me, i.schedule),
    ),
    "get run": (errors.RunNotFound, lambda s, i: s.runs.get(i.me, i.run)),
    "run steps": (errors.RunNotFound, lambda s, i: s.runs.steps(i.me, i.run)),
    "revoke key": (
        errors.ApiKeyNotFound,
        lambda s, i: s.organizations.revoke_api_key(i.me, i.key),
    ),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_another_organizations_ids_are_not_found(
    world: tuple[service.Service, Ids], call: str
) -> None:
    svc, ids = world
    expected, invoke = CALLS[call]
    with pytest.raises(expected) as caught:
        invoke(svc, ids)
    assert isinstance(caught.value, errors.NotFound)
    assert isinstance(caught.value, LookupError)
    # Nothing of theirs changed.
    assert svc.schedules.get(ids.theirs, ids.schedule).version == 1
    assert svc.workflows.get(ids.theirs, ids.workflow).version == 1
    assert svc.organizations.list_api_keys(ids.theirs)[0].revoked_at is None


def test_no_list_shows_another_organizations_rows(world: tuple[service.Service, Ids]) -> None:
    svc, ids = world
    me = ids.me
    assert [w.name for w in svc.workflows.list(me).items] == ["mine"]
    assert svc.schedules.list(me).items == ()
    assert svc.schedules.list(me, domain.ScheduleFilter(workflow_id=ids.workflow)).items == ()
    assert svc.runs.list(me).items == ()
    assert svc.runs.list(me, domain.RunFilter(schedule_id=ids.schedule)).items == ()
    assert svc.organizations.list_api_keys(me) == []
