"""The alert store's guarantees on both backends: leases, fencing, disabled channels, turns."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cronwright import domain
from cronwright.clock import FakeClock
from cronwright.planning import alerts as planning
from cronwright.store.alerts.alert_ledger import SCAN_CURSOR
from cronwright.store.database import dialect
from cronwright.store.database.schema import AlertScanRow
from tests.component.alerts.conftest import Harness, make_app
from tests.component.alerts.receivers import WebhookReceiver
from tests.support.rows import add_run, delivery_attempts

LEASE = timedelta(minutes=2)
POLICY = planning.DeliveryPolicy()


def failed_run_alerted(harness: Harness) -> None:
    """A failed run, scanned into one pending delivery to a webhook nobody listens to."""
    harness.webhook("http://127.0.0.1:9/nowhere", events=["run_failed"])
    harness.schedule()
    harness.next_slot("fail")
    report = harness.alerter.scan_once()
    assert report is not None
    assert report.enqueued == 1


def test_a_claimed_delivery_is_leased_and_a_late_outcome_is_fenced_out(harness: Harness) -> None:
    store, clock = harness.alerter.store, harness.clock
    failed_run_alerted(harness)
    [first] = store.claim_due(now=clock.now(), lease=LEASE, limit=10)
    just_before = clock.now() + LEASE - timedelta(microseconds=1)
    assert store.claim_due(now=just_before, lease=LEASE, limit=10) == []
    clock.advance(LEASE)  # the first sender died, it seems
    [second] = store.claim_due(now=clock.now(), lease=LEASE, limit=10)
    assert (first.id, first.attempt, second.attempt) == (second.id, 1, 2)
    late = store.record_attempt(
        first, started_at=clock.now(), now=clock.now(), error=None, policy=POLICY
    )
    assert late is None  # fenced out: the delivery belongs to attempt 2 now
    done = store.record_attempt(
        second, started_at=clock.now(), now=clock.now(), error="HTTP 500: no", policy=POLICY
    )
    assert done is not None
    assert (done.state, done.attempts, done.last_error) == (
        domain.AlertDeliveryState.PENDING,
        2,
        "HTTP 500: no",
    )
    assert done.next_attempt_at == clock.now() + POLICY.initial * POLICY.factor
    attempts = delivery_attempts(store, first.id)
    assert [(a.attempt, a.delivered) for a in attempts] == [(1, True), (2, False)]


def test_deliveries_of_a_channel_disabled_after_queueing_fail_saying_why(harness: Harness) -> None:
    failed_run_alerted(harness)
    [channel] = harness.channels.list(harness.org).items
    harness.channels.update(harness.org, channel.id, enabled=False)
    assert harness.alerter.store.claim_due(now=harness.clock.now(), lease=LEASE, limit=10) == []
    [delivery] = harness.deliveries()
    assert (delivery.state, delivery.last_error, delivery.attempts) == (
        domain.AlertDeliveryState.FAILED,
        "channel disabled",
        0,
    )


def test_deleting_a_channel_deletes_its_deliveries(harness: Harness) -> None:
    failed_run_alerted(harness)
    [channel] = harness.channels.list(harness.org).items
    harness.channels.delete(harness.org, channel.id)
    assert harness.deliveries() == []


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_scan_skips_while_another_process_holds_the_cursor(
    harness: Harness, database_url: str
) -> None:
    failed_run_alerted(harness)  # the cursor row exists
    harness.next_slot("fail")
    engine = dialect.create_engine(database_url)
    try:
        with engine.connect() as other, other.begin():
            other.execute(
                sa.select(AlertScanRow).where(AlertScanRow.name == SCAN_CURSOR).with_for_update()
            )
            assert harness.alerter.scan_once() is None
        report = harness.alerter.scan_once()  # the other scan ended: this one does the work
    finally:
        engine.dispose()
    assert report is not None
    assert report.enqueued == 1


def test_a_run_that_commits_after_a_scan_that_passed_its_finish_time_is_still_alerted(
    harness: Harness,
) -> None:
    """A worker stamps ``finished_at`` before its transaction commits; a scan in between must
    not lose that run. The next scan re-reads the overlap before the cursor."""
    harness.webhook("http://127.0.0.1:9/nowhere", events=["run_failed"])
    workflow = harness.app.service.workflows.create(
        harness.org,
        name="w",
        definition={"steps": [{"name": "a", "kind": "python", "config": {"function": "job"}}]},
    )
    harness.alerter.scan_once()
    overlap = harness.alerter.settings.overlap

    def committed_late(finished_ago: timedelta) -> int:
        finished_at = harness.clock.now() - finished_ago
        run = add_run(
            harness.app.store,
            domain.NewRun(
                org_id=harness.org,
                workflow_id=workflow.id,
                schedule_id=None,
                schedule_version_id=None,
                trigger=domain.Trigger.MANUAL,
                scheduled_for=finished_at,
                available_at=finished_at,
                max_attempts=1,
                created_at=finished_at,
                state=domain.RunState.FAILED,
                finished_at=finished_at,
            ),
        )
        assert run is not None
        return int(run.id)

    harness.clock.advance(timedelta(seconds=5))
    within = committed_late(timedelta(seconds=5) + overlap - timedelta(seconds=1))
    committed_late(timedelta(seconds=5) + overlap + timedelta(seconds=1))  # beyond: not seen
    harness.alerter.scan_once()
    assert [d.run_id for d in harness.deliveries()] == [within]


def test_pruning_drops_old_finished_deliveries_and_keeps_pending_ones(
    database_url: str, clock: FakeClock
) -> None:
    harness = Harness(make_app(database_url, clock, retention=timedelta(minutes=10)), clock)
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["run_failed"])
        harness.webhook("http://127.0.0.1:9/nowhere", events=["run_failed"])
        harness.schedule()
        harness.next_slot("fail")
        harness.alert()
        old = {d.state: d.id for d in harness.deliveries()}
        harness.clock.advance(harness.alerter.settings.retention + timedelta(minutes=1))
        harness.next_slot("fail")
        harness.alert()
        assert harness.alerter.prune_once() == 1
    kept = harness.deliveries()
    harness.app.close()
    assert old[domain.AlertDeliveryState.DELIVERED] not in {d.id for d in kept}
    assert delivery_attempts(harness.alerter.store, old[domain.AlertDeliveryState.DELIVERED]) == []
    assert old[domain.AlertDeliveryState.PENDING] in {d.id for d in kept}
    assert len(kept) == 3


def test_runs_of_an_organization_without_an_enabled_channel_raise_no_alerts(
    harness: Harness,
) -> None:
    channel = harness.webhook("http://127.0.0.1:9/nowhere", events=["run_failed"])
    harness.app.alert_channels.update(harness.org, channel.id, enabled=False)
    harness.schedule()
    harness.next_slot("fail")
    report = harness.alerter.scan_once()
    assert report is not None
    assert (report.alerts, report.enqueued) == (0, 0)  # its runs were not even read
    assert harness.deliveries() == []
