"""Each rule a schedule must meet is refused with the field at fault and a clear message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from tests.component.service.conftest import STEPS, spec_for

from cronwright import domain, errors, service

HOUR = timedelta(hours=1)
Bad = Callable[[domain.Workflow, datetime], domain.ScheduleSpec]

CASES: list[tuple[str, Bad, str, str]] = [
    (
        "unknown zone",
        lambda w, now: spec_for(w, timezone="Mars/Base"),
        "timezone",
        "unknown time zone 'Mars/Base'",
    ),
    (
        "bad expression",
        lambda w, now: spec_for(w, cron="60 * * * *"),
        "cron",
        "minute: 60 is out of range 0-59 (column 1)",
    ),
    (
        "never fires",
        lambda w, now: spec_for(w, cron="0 0 30 2 *"),
        "cron",
        "'0 0 30 2 *' never fires",
    ),
    (
        "too long",
        lambda w, now: spec_for(w, cron="0 " * 101),
        "cron",
        "must be at most 200 characters",
    ),
    (
        "end before start",
        lambda w, now: spec_for(w, start_at=now + HOUR, end_at=now),
        "end_at",
        "must be after start_at",
    ),
    (
        "end equal to start",
        lambda w, now: spec_for(w, start_at=now, end_at=now),
        "end_at",
        "must be after start_at",
    ),
    ("end in the past", lambda w, now: spec_for(w, end_at=now - HOUR), "end_at", "is in the past"),
    (
        "no fire inside the window",
        lambda w, now: spec_for(w, cron="0 0 1 1 *", start_at=now, end_at=now + 24 * HOUR),
        "end_at",
        "leaves no fire time before it",
    ),
    (
        "naive start",
        lambda w, now: spec_for(w, start_at=datetime(2030, 1, 1)),
        "start_at",
        "must be timezone-aware",
    ),
    (
        "naive end",
        lambda w, now: spec_for(w, end_at=datetime(2030, 1, 1)),
        "end_at",
        "must be timezone-aware",
    ),
    ("blank name", lambda w, now: spec_for(w, name="  "), "name", "must not be empty"),
    (
        "long name",
        lambda w, now: spec_for(w, name="n" * 201),
        "name",
        "must be at most 200 characters",
    ),
    (
        "no attempts",
        lambda w, now: spec_for(w, max_attempts=0),
        "max_attempts",
        "must be between 1 and 100",
    ),
    (
        "shrinking backoff",
        lambda w, now: spec_for(w, backoff_factor=0.5),
        "backoff_factor",
        "must be at least 1",
    ),
    (
        "NaN backoff",
        lambda w, now: spec_for(w, backoff_factor=float("nan")),
        "backoff_factor",
        "must be at least 1",
    ),
    ("negative jitter", lambda w, now: spec_for(w, jitter=-HOUR), "jitter", "must not be negative"),
    (
        "negative grace",
        lambda w, now: spec_for(w, misfire_grace=-HOUR),
        "misfire_grace",
        "must not be negative",
    ),
    (
        "backoff max under initial",
        lambda w, now: spec_for(w, backoff_initial=HOUR, backoff_max=HOUR / 2),
        "backoff_max",
        "must be at least backoff_initial",
    ),
    (
        "zero timeout",
        lambda w, now: spec_for(w, timeout=timedelta(0)),
        "timeout",
        "must be positive",
    ),
    (
        "input not an object",
        lambda w, now: spec_for(w, input=[1, 2]),
        "input",
        "must be a JSON object",
    ),
    (
        "input not JSON",
        lambda w, now: spec_for(w, input={"at": now}),
        "input",
        "must hold JSON values only",
    ),
]


@pytest.mark.parametrize(
    ("bad", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_bad_schedule_is_refused_on_create_and_on_update(
    svc: service.Service,
    org: domain.Organization,
    workflow: domain.Workflow,
    t0: datetime,
    bad: Bad,
    field: str,
    message: str,
) -> None:
    spec = bad(workflow, t0)
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.create(org.id, spec, author="alice")
    assert (caught.value.field, caught.value.message) == (field, message)

    good = svc.schedules.create(org.id, spec_for(workflow), author="alice")
    changes = {
        name: getattr(spec, name)
        for name in domain.SPEC_FIELDS
        if getattr(spec, name) != getattr(good.spec, name)
    }
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.update(org.id, good.id, changes, author="alice")
    assert (caught.value.field, caught.value.message) == (field, message)
    assert svc.schedules.get(org.id, good.id) == good
    assert len(svc.schedules.versions(org.id, good.id)) == 1


def test_a_workflow_of_another_organization_is_bad_input_on_workflow_id(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    other = svc.organizations.create("other")
    theirs = svc.workflows.create(other.id, name="theirs", definition=STEPS)
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.create(org.id, spec_for(theirs), author="alice")
    assert (caught.value.field, caught.value.message) == (
        "workflow_id",
        f"no workflow with id {theirs.id} in this organization",
    )
    mine = svc.schedules.create(org.id, spec_for(workflow), author="alice")
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.update(org.id, mine.id, {"workflow_id": theirs.id}, author="alice")
    assert caught.value.field == "workflow_id"


def test_the_same_workflow_expression_zone_and_input_twice_is_a_conflict(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    first = svc.schedules.create(org.id, spec_for(workflow, input={"x": 1}), author="a")
    # Spacing differences do not make a different expression.
    twin = spec_for(workflow, name="twin", cron=" 0  3 * * * ", input={"x": 1})
    with pytest.raises(errors.ScheduleConflict) as caught:
        svc.schedules.create(org.id, twin, author="a")
    assert caught.value.existing_id == first.id
    assert str(caught.value) == (
        f"schedule {first.id} already runs this workflow with the same expression, "
        "time zone and input"
    )
    other = svc.schedules.create(
        org.id, spec_for(workflow, cron="0 4 * * *", input={"x": 1}), author="a"
    )
    with pytest.raises(errors.ScheduleConflict):
        svc.schedules.update(org.id, other.id, {"cron": "0 3 * * *"}, author="a")


def test_the_schedule_quota_is_enforced_per_organization(
    svc: service.Service, org: domain.Organization, workflow: domain.Workflow
) -> None:
    for hour in range(5):
        svc.schedules.create(org.id, spec_for(workflow, cron=f"0 {hour} * * *"), author="a")
    with pytest.raises(errors.QuotaExceeded) as caught:
        svc.schedules.create(org.id, spec_for(workflow, cron="0 9 * * *"), author="a")
    assert str(caught.value) == (
        "the organization's max_schedules quota of 5 is reached; the operator sets quotas with "
        "`cronwright org quotas --org acme`, or App(max_schedules=...) in a script"
    )
    other = svc.organizations.create("other", max_schedules=1)
    theirs = svc.workflows.create(other.id, name="w", definition=STEPS)
    svc.schedules.create(other.id, spec_for(theirs), author="b")  # their own quota


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"colour": "red"}, "colour", "is not a schedule field"),
        (
            {"overlap": "sometimes"},
            "overlap",
            "'sometimes' is not one of allow, skip, buffer_one, buffer_all, cancel_previous",
        ),
        ({"dst_gap": "never"}, "dst_gap", "'never' is not one of auto, shift, skip"),
    ],
)
def test_an_update_names_unknown_fields_and_values(
    svc: service.Service,
    org: domain.Organization,
    workflow: domain.Workflow,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    schedule = svc.schedules.create(org.id, spec_for(workflow), author="a")
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.update(org.id, schedule.id, changes, author="a")
    assert (caught.value.field, caught.value.message) == (field, message)


def test_list_paging_arguments_are_checked(
    svc: service.Service, org: domain.Organization, t0: datetime
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        svc.schedules.list(org.id, limit=0)
    assert (caught.value.field, caught.value.message) == ("limit", "must be between 1 and 500")
    for cursor in ("garbage!", "aWQ6eA", ""):
        with pytest.raises(errors.InvalidInput) as caught:
            svc.schedules.list(org.id, cursor=cursor)
        assert (caught.value.field, caught.value.message) == (
            "cursor",
            "not a cursor from this list",
        )
    with pytest.raises(errors.InvalidInput) as caught:
        svc.runs.list(org.id, domain.RunFilter(since=t0, until=t0 - HOUR))
    assert (caught.value.field, caught.value.message) == ("until", "must be after since")


def test_workflow_definitions_and_names_are_validated(
    svc: service.Service, org: domain.Organization
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        svc.workflows.create(org.id, name="w", definition={"steps": [{"name": "a", "kind": "ftp"}]})
    assert caught.value.field == "definition.steps[0].kind"
    with pytest.raises(errors.InvalidInput) as caught:
        svc.workflows.create(org.id, name="", definition=STEPS)
    assert (caught.value.field, caught.value.message) == ("name", "must not be empty")
