"""The operator's retry defaults in the service: new schedules built with ``new_spec`` get them
for the retry fields they leave out, given fields win, and schedules that exist keep theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.component.service.conftest import STEPS

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog

OPERATOR = domain.RetryDefaults(
    max_attempts=7,
    backoff_initial=timedelta(seconds=30),
    backoff_factor=3.0,
    backoff_max=timedelta(hours=1),
)


def retry_of(spec: domain.ScheduleSpec) -> domain.RetryDefaults:
    return domain.RetryDefaults(**{name: getattr(spec, name) for name in domain.RETRY_FIELDS})


@pytest.fixture
def operated(sqlite_store: sql_catalog.SqlCatalog, clock: FakeClock) -> service.Service:
    return service.Service.build(sqlite_store, clock, retry_defaults=OPERATOR)


def test_the_built_in_defaults_are_the_specs_own(svc: service.Service) -> None:
    spec = domain.ScheduleSpec(workflow_id=domain.WorkflowId(1), name="n", cron="* * * * *")
    assert svc.schedules.retry_defaults == domain.RetryDefaults() == retry_of(spec)


def test_a_new_schedule_without_retry_fields_gets_the_operators_defaults(
    operated: service.Service,
) -> None:
    org = operated.organizations.create("acme")
    workflow = operated.workflows.create(org.id, name="ping", definition=STEPS)
    spec = operated.schedules.new_spec(workflow_id=workflow.id, name="nightly", cron="0 3 * * *")
    created = operated.schedules.create(org.id, spec, author="a")
    assert retry_of(created.spec) == OPERATOR
    [imported] = operated.schedules.create_many(
        org.id,
        [operated.schedules.new_spec(workflow_id=workflow.id, name="n2", cron="0 4 * * *")],
        author="importer",
    )
    assert retry_of(imported.spec) == OPERATOR


def test_retry_fields_given_win_even_at_the_built_in_values(operated: service.Service) -> None:
    spec = operated.schedules.new_spec(
        workflow_id=domain.WorkflowId(1),
        name="n",
        cron="* * * * *",
        max_attempts=3,
        backoff_max=None,  # None: not given
    )
    assert retry_of(spec) == domain.RetryDefaults(
        max_attempts=3,
        backoff_initial=OPERATOR.backoff_initial,
        backoff_factor=OPERATOR.backoff_factor,
        backoff_max=OPERATOR.backoff_max,
    )


def test_existing_schedules_keep_their_retry_policy_when_the_defaults_change(
    sqlite_store: sql_catalog.SqlCatalog, clock: FakeClock
) -> None:
    before = service.Service.build(sqlite_store, clock)
    org = before.organizations.create("acme")
    workflow = before.workflows.create(org.id, name="ping", definition=STEPS)
    spec = before.schedules.new_spec(workflow_id=workflow.id, name="nightly", cron="0 3 * * *")
    created = before.schedules.create(org.id, spec, author="a")

    after = service.Service.build(sqlite_store, clock, retry_defaults=OPERATOR)
    assert after.schedules.get(org.id, created.id).spec == created.spec
    edited = after.schedules.update(org.id, created.id, {"cron": "0 5 * * *"}, author="b")
    assert retry_of(edited.spec) == domain.RetryDefaults()  # an edit changes what it is given


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 101}, "max_attempts"),
        ({"backoff_factor": 0.5}, "backoff_factor"),
        ({"backoff_factor": float("nan")}, "backoff_factor"),
        ({"backoff_initial": timedelta(seconds=-1)}, "backoff_initial"),
        ({"backoff_max": timedelta(seconds=1)}, "backoff_max"),  # below the 5 s initial
    ],
)
def test_defaults_no_schedule_could_have_are_refused_by_name(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        domain.RetryDefaults(**changes)  # type: ignore[arg-type]
    assert caught.value.field == field
