"""Which alerts are sent, once each: failures, recoveries, missed slots, dedup across processes
and scans, the rate limit, and which channels hear about what. Real engine, real HTTP receiver."""

from __future__ import annotations

import threading
from datetime import timedelta

from cronwright import domain
from cronwright.clock import FakeClock
from cronwright.engine import alerts
from cronwright.planning import alerts as planning_alerts
from tests.component.alerts.conftest import Harness, make_app
from tests.component.alerts.receivers import WebhookReceiver


def events(receiver: WebhookReceiver) -> list[tuple[str, int | None]]:
    """What the receiver got, in the order it happened (one pass may send several at once)."""
    bodies = sorted(receiver.bodies(), key=lambda body: body["occurred_at"])
    return [(body["event"], body["run_id"]) for body in bodies]


def test_recovery_is_the_first_success_after_failures(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url)
        harness.schedule()
        ok_1 = harness.next_slot("ok")[0].id
        harness.alert()
        fail_1 = harness.next_slot("fail")[0].id
        harness.alert()
        fail_2 = harness.next_slot("fail")[0].id
        harness.alert()
        ok_2 = harness.next_slot("ok")[0].id
        harness.alert()
        harness.next_slot("ok")
        harness.alert()
        fail_3 = harness.next_slot("fail")[0].id
        ok_3 = harness.next_slot("ok")[0].id  # fail and recovery found by the same scan
        harness.alert()
    assert ok_1 < fail_1
    assert events(receiver) == [
        ("run_failed", fail_1),
        ("run_failed", fail_2),
        ("run_recovered", ok_2),
        ("run_failed", fail_3),
        ("run_recovered", ok_3),
    ]
    recovered = receiver.bodies()[2]
    assert recovered["details"]["previous_run_id"] == fail_2
    assert recovered["id"] == f"recovery:run:{ok_2}"


def test_recovery_looks_back_before_the_scan_window(harness: Harness) -> None:
    """The failure was alerted long ago (outside the rescan overlap); the success still counts
    as a recovery because the store looks up the schedule's previous outcome."""
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["run_recovered"])
        harness.schedule(cron="0 * * * *")
        harness.clock.advance(timedelta(minutes=29))  # the clock starts at 09:30:05
        assert harness.next_slot("fail")[0].scheduled_for.minute == 0
        harness.alert()
        harness.clock.advance(timedelta(minutes=59))
        ok = harness.next_slot("ok")
        harness.alert()
    assert events(receiver) == [("run_recovered", ok[0].id)]


def test_scanning_again_or_from_other_processes_sends_each_alert_once(
    harness: Harness, database_url: str, clock: FakeClock
) -> None:
    others = [make_app(database_url, clock, threads=2) for _ in range(3)]
    try:
        with WebhookReceiver() as receiver:
            harness.webhook(receiver.url)
            harness.schedule()
            failed = [harness.next_slot("fail")[0].id for _ in range(3)]
            alerters = [harness.alerter, *(other.alerter for other in others)]
            start = threading.Barrier(len(alerters))

            def alert(alerter: alerts.Alerter) -> None:
                start.wait()
                for _ in range(3):
                    alerter.scan_once()
                    alerter.deliver_once()

            threads = [threading.Thread(target=alert, args=(a,)) for a in alerters]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            harness.alert()
    finally:
        for other in others:
            other.close()
    assert sorted(events(receiver)) == [("run_failed", run_id) for run_id in failed]
    assert [d.state for d in harness.deliveries()] == [domain.AlertDeliveryState.DELIVERED] * 3


def test_a_missed_slot_is_alerted_by_a_live_process_after_the_scheduler_stopped(
    harness: Harness, database_url: str, clock: FakeClock
) -> None:
    """The scheduler writes slots, then stops (its process died). Nothing writes the next slot;
    another process, with no scheduler, notices once the slot is past its grace."""
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["schedule_missed"])
        schedule_id = harness.schedule(misfire_grace=timedelta(minutes=2))
        harness.next_slot("ok")
        schedule = harness.app.store.get_schedule(harness.org, domain.ScheduleId(schedule_id))
        stuck_at = schedule.next_fire_at
        assert stuck_at is not None
        harness.app.close()  # the scheduler's process is gone
        survivor = Harness(make_app(database_url, clock), clock)
        survivor.alert()
        assert receiver.requests == []  # the slot is not due yet
        clock.current = stuck_at + timedelta(minutes=2)
        survivor.alert()
        assert receiver.requests == []  # within its grace: a scheduler may still come
        clock.advance(timedelta(seconds=1))
        survivor.alert()
        clock.advance(timedelta(minutes=5))
        survivor.alert()  # the same stuck slot: no second alert
        # The scheduler comes back: catch-up marks the passed slots missed; the one already
        # alerted is not alerted again, the others are new.
        survivor.app.scheduler.tick()
        survivor.alert()
        survivor.app.close()
    [body] = receiver.bodies()  # the catch-up's missed runs start at the slot already alerted
    assert body["event"] == "schedule_missed"
    assert body["schedule_id"] == schedule_id
    assert body["details"]["cause"] == "scheduler"
    assert body["details"]["slot"] == stuck_at.isoformat()


def test_an_outage_caught_up_at_once_is_one_alert_naming_the_slots(harness: Harness) -> None:
    """No alerter ran during the outage; when the scheduler returns, catch-up marks every passed
    slot missed in one transaction, and that is one alert, not one per slot."""
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["schedule_missed"])
        schedule_id = harness.schedule()
        harness.next_slot("ok")
        harness.clock.advance(timedelta(hours=3))
        harness.app.scheduler.tick()
        harness.alert()
        harness.alert()
    missed = [
        run
        for run in harness.app.store.list_runs(
            harness.org, domain.RunFilter(), before_id=None, limit=1000
        )
        if run.state is domain.RunState.MISSED
    ]
    [body] = receiver.bodies()
    assert len(missed) > 100
    assert (body["schedule_id"], body["details"]["cause"]) == (schedule_id, "missed")
    assert body["details"]["slots"] == len(missed)
    assert body["details"]["slot"] == min(run.scheduled_for for run in missed).isoformat()
    assert body["details"]["last_slot"] == max(run.scheduled_for for run in missed).isoformat()


def test_a_slot_left_pending_by_stuck_workers_is_alerted(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["schedule_missed"])
        schedule_id = harness.schedule(misfire_grace=timedelta(minutes=10))
        harness.clock.advance(timedelta(minutes=1))
        harness.app.scheduler.tick()  # the run is written; no worker claims it
        [run] = harness.app.store.list_runs(
            harness.org, domain.RunFilter(), before_id=None, limit=9
        )
        harness.clock.current = run.available_at + timedelta(minutes=10)
        harness.alert()
        assert receiver.requests == []
        harness.clock.advance(timedelta(seconds=1))
        harness.alert()
        harness.alert()
    [body] = receiver.bodies()
    assert body["details"]["slot"] == run.scheduled_for.isoformat()
    assert (body["schedule_id"], body["run_id"], body["details"]["cause"]) == (
        schedule_id,
        run.id,
        "queue",
    )


def test_the_rate_limit_coalesces_the_excess_into_one_summary(
    database_url: str, clock: FakeClock
) -> None:
    rate = planning_alerts.RateLimit(max_alerts=2, window=timedelta(hours=1))
    harness = Harness(make_app(database_url, clock, rate=rate), clock)
    try:
        with WebhookReceiver() as receiver:
            harness.webhook(receiver.url, events=["run_failed"])
            harness.schedule()
            failed = []
            for _ in range(5):
                failed.append(harness.next_slot("fail")[0].id)
                harness.alert()
            assert events(receiver) == [("run_failed", failed[0]), ("run_failed", failed[1])]
            harness.clock.current = rate.window_end(harness.clock.now())
            harness.alert()
            harness.alert()
    finally:
        harness.app.close()
    summary = receiver.bodies()[2]
    assert summary["event"] == "alerts_coalesced"
    assert summary["details"]["count"] == 3
    assert summary["details"]["events"] == {"run_failed": 3}
    assert summary["details"]["alert_ids"] == [f"failure:run:{run_id}" for run_id in failed[2:]]
    assert len(receiver.requests) == 3


def test_channels_hear_only_their_events_and_only_while_enabled(harness: Harness) -> None:
    with WebhookReceiver() as failures, WebhookReceiver() as recoveries:
        harness.webhook(failures.url, events=["run_failed"])
        harness.webhook(recoveries.url, events=["run_recovered"])
        off = harness.webhook(failures.url + "/off", events=["run_failed"])
        harness.channels.update(harness.org, off.id, enabled=False)
        rival = harness.app.service.organizations.create("rival")
        harness.channels.create(
            rival.id,
            name="theirs",
            kind=domain.AlertChannelKind.WEBHOOK,
            target=failures.url + "/rival",
            events=["run_failed", "run_recovered"],
        )
        harness.schedule()
        fail = harness.next_slot("fail")[0].id
        ok = harness.next_slot("ok")[0].id
        harness.alert()
    assert [(r.path, r.json()["run_id"]) for r in failures.requests] == [
        ("/hooks/cronwright", fail)
    ]
    assert events(recoveries) == [("run_recovered", ok)]
