"""Names are identities: one live workflow, schedule and alert channel per name and organization,
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from tests.contract.conftest import DEFINITION, spec_for

from cronwright import domain, errors
from cronwright.store.catalog import alert_channels, sql_catalog


def add_schedule(
    store: sql_catalog.SqlCatalog, org: domain.Organization, spec: domain.ScheduleSpec, t0: datetime
) -> domain.Schedule:
    return store.add_schedule(
        org_id=org.id, spec=spec, hash_key="k", next_fire_at=None, author="a", now=t0
    )


def add_channel(
    channels: alert_channels.SqlAlertChannels, org: domain.Organization, name: str, t0: datetime
) -> int:
    channel = channels.add(
        org_id=org.id,
        name=name,
        kind=domain.AlertChannelKind.EMAIL,
        target="ops@example.org",
        secret=None,
        events=("run_failed",),
        enabled=True,
        now=t0,
    )
    return int(channel.id)


def test_a_second_workflow_with_a_name_is_refused_with_the_first_ones_id(
    store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    other_org: domain.Organization,
    t0: datetime,
) -> None:
    first = store.add_workflow(org_id=org.id, name="report", definition=DEFINITION, now=t0)
    with pytest.raises(errors.NameTaken) as caught:
        store.add_workflow(org_id=org.id, name="report", definition=DEFINITION, now=t0)
    assert (caught.value.kind, caught.value.existing_id) == ("workflow", first.id)
    assert str(caught.value) == f"workflow {first.id} is named 'report' already"
    # Another organization has names of its own; a deleted workflow gives its name back.
    store.add_workflow(org_id=other_org.id, name="report", definition=DEFINITION, now=t0)
    second = store.add_workflow(org_id=org.id, name="other", definition=DEFINITION, now=t0)
    with pytest.raises(errors.NameTaken):
        store.update_workflow(org.id, second.id, name="report", definition=DEFINITION, now=t0)
    assert store.get_workflow(org.id, second.id) == second
    store.delete_workflow(org.id, first.id, now=t0)
    again = store.add_workflow(org_id=org.id, name="report", definition=DEFINITION, now=t0)
    assert store.find_workflow_by_name(org.id, "report") == again
    assert store.find_workflow_by_name(org.id, "nothing") is None


def test_a_schedule_conflict_names_both_the_same_name_and_the_same_schedule(
    store: sql_catalog.SqlCatalog, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    named = add_schedule(store, org, spec_for(workflow, name="nightly", cron="0 3 * * *"), t0)
    same = add_schedule(store, org, spec_for(workflow, name="other", cron="0 4 * * *"), t0)
    with pytest.raises(errors.ScheduleConflict) as caught:
        add_schedule(store, org, spec_for(workflow, name="nightly", cron="0 4 * * *"), t0)
    assert (caught.value.same_name, caught.value.same_schedule) == (named.id, same.id)
    assert str(caught.value) == (
        f"schedule {named.id} has the same name; schedule {same.id} already runs this workflow "
        "with the same expression, time zone and input"
    )
    with pytest.raises(errors.ScheduleConflict) as caught:
        add_schedule(store, org, spec_for(workflow, name="nightly", cron="0 5 * * *"), t0)
    assert (caught.value.same_name, caught.value.same_schedule) == (named.id, None)
    with pytest.raises(errors.ScheduleConflict) as caught:
        store.update_schedule(
            org.id,
            same.id,
            spec=same.spec.replace(name="nightly"),
            next_fire_at=None,
            event=domain.ScheduleEventKind.EDITED,
            author="a",
            now=t0,
            expected_version=1,
        )
    assert (caught.value.existing_id, caught.value.same_schedule) == (named.id, None)
    assert store.get_organization(org.id).schedule_count == 2
    store.delete_schedule(org.id, named.id, author="a", now=t0)
    assert store.find_schedule_by_name(org.id, "nightly") is None
    add_schedule(store, org, spec_for(workflow, name="nightly", cron="0 5 * * *"), t0)


def test_a_second_alert_channel_with_a_name_is_refused_with_the_first_ones_id(
    store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    other_org: domain.Organization,
    t0: datetime,
) -> None:
    channels = alert_channels.SqlAlertChannels(store.engine)
    first = add_channel(channels, org, "on-call", t0)
    with pytest.raises(errors.NameTaken) as caught:
        add_channel(channels, org, "on-call", t0)
    assert (caught.value.kind, caught.value.existing_id) == ("alert channel", first)
    add_channel(channels, other_org, "on-call", t0)
    second = add_channel(channels, org, "ops", t0)
    with pytest.raises(errors.NameTaken):
        channels.update(
            org.id,
            domain.alert_channel.AlertChannelId(second),
            name="on-call",
            target="x@example.org",
            secret=None,
            events=("run_failed",),
            enabled=True,
        )
    found = channels.find_by_name(org.id, "on-call")
    assert found is not None
    assert found.id == first
    channels.delete(org.id, domain.alert_channel.AlertChannelId(first))
    add_channel(channels, org, "on-call", t0)


def test_of_two_concurrent_creates_of_one_name_exactly_one_wins(
    store: sql_catalog.SqlCatalog, org: domain.Organization, t0: datetime
) -> None:
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def create() -> None:
        start.wait()
        try:
            made = store.add_workflow(org_id=org.id, name="race", definition=DEFINITION, now=t0)
            outcomes.append(made.id)
        except errors.NameTaken as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, errors.NameTaken)]
    assert len(winners) == 1
    assert len(losers) == 3
    assert {loser.existing_id for loser in losers} == set(winners)
