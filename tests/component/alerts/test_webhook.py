"""Webhook alerts to a real HTTP server on 127.0.0.1, checked the way a receiver would."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from cronwright import domain
from tests.component.alerts.conftest import SECRET, Harness
from tests.component.alerts.receivers import Received, WebhookReceiver
from tests.support.rows import delivery_attempts


def verify(request: Received, secret: str) -> bool:
    """A receiver's check, written from docs/alerts.md and not from our code."""
    parts = dict(
        item.split("=", 1) for item in request.headers["x-cronwright-signature"].split(",")
    )
    signed = parts["t"].encode() + b"." + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return parts["t"] == request.headers["x-cronwright-timestamp"] and hmac.compare_digest(
        expected, parts["v1"]
    )


def test_a_final_failure_is_posted_signed_and_recorded(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url)
        schedule_id = harness.schedule()
        [run] = harness.next_slot("fail")
        assert run.state is domain.RunState.FAILED
        [record] = harness.alert()
    [request] = receiver.requests
    assert verify(request, SECRET)
    assert not verify(request, SECRET + "x")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-cronwright-event"] == "run_failed"
    assert int(request.headers["x-cronwright-timestamp"]) == int(harness.clock.now().timestamp())
    body = request.json()
    assert (body["event"], body["run_id"], body["schedule_id"]) == (
        "run_failed",
        run.id,
        schedule_id,
    )
    assert body["id"] == f"failure:run:{run.id}"
    assert body["details"]["error"] == run.error
    assert record is not None
    assert (record.state, record.attempts, record.last_error) == (
        domain.AlertDeliveryState.DELIVERED,
        1,
        None,
    )
    [attempt] = delivery_attempts(harness.alerter.store, record.id)
    assert (attempt.attempt, attempt.delivered, attempt.error) == (1, True, None)


def test_a_receiver_error_is_retried_with_backoff_and_each_attempt_recorded(
    harness: Harness,
) -> None:
    policy = harness.alerter.settings.policy
    with WebhookReceiver(statuses=(500, 503)) as receiver:
        harness.webhook(receiver.url)
        harness.schedule()
        harness.next_slot("fail")
        [first] = harness.alert()
        assert first is not None
        assert first.state is domain.AlertDeliveryState.PENDING
        assert first.last_error is not None
        assert first.last_error == "HTTP 500 Internal Server Error"  # the status, not the body
        assert first.next_attempt_at == harness.clock.now() + policy.initial
        assert harness.alerter.deliver_once() == []  # not due before the backoff ends
        harness.clock.advance(policy.initial)
        [second] = harness.alerter.deliver_once()
        assert second is not None
        assert second.next_attempt_at == harness.clock.now() + policy.initial * policy.factor
        harness.clock.advance(policy.initial * policy.factor)
        [third] = harness.alerter.deliver_once()
    assert third is not None
    assert (third.state, third.attempts) == (domain.AlertDeliveryState.DELIVERED, 3)
    assert len(receiver.requests) == 3
    assert len({r.headers["x-cronwright-delivery"] for r in receiver.requests}) == 1
    attempts = delivery_attempts(harness.alerter.store, third.id)
    assert [(a.attempt, a.delivered) for a in attempts] == [(1, False), (2, False), (3, True)]
    assert attempts[1].error is not None
    assert attempts[1].error == "HTTP 503 Service Unavailable"


def test_a_delivery_fails_for_good_after_the_last_attempt(harness: Harness) -> None:
    policy = harness.alerter.settings.policy
    with WebhookReceiver(statuses=(500,) * policy.max_attempts) as receiver:
        harness.webhook(receiver.url)
        harness.schedule()
        harness.next_slot("fail")
        harness.alerter.scan_once()
        records = []
        for _ in range(policy.max_attempts):
            harness.clock.advance(policy.maximum)
            records += harness.alerter.deliver_once()
        harness.clock.advance(policy.maximum)
        assert harness.alerter.deliver_once() == []
    last = records[-1]
    assert last is not None
    assert (last.state, last.attempts) == (domain.AlertDeliveryState.FAILED, policy.max_attempts)
    assert len(receiver.requests) == policy.max_attempts


def test_an_unreachable_webhook_records_the_connection_error(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        url = receiver.url  # nothing listens there once the receiver is closed
    harness.webhook(url)
    harness.schedule()
    harness.next_slot("fail")
    [record] = harness.alert()
    assert record is not None
    assert record.state is domain.AlertDeliveryState.PENDING
    assert record.last_error is not None
    assert "ConnectError" in record.last_error


def test_an_unsigned_channel_sends_no_signature(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        harness.channels.create(
            harness.org,
            name="plain",
            kind=domain.AlertChannelKind.WEBHOOK,
            target=receiver.url,
            events=["run_failed"],
        )
        harness.schedule()
        harness.next_slot("fail")
        harness.alert()
    [request] = receiver.requests
    assert "x-cronwright-signature" not in request.headers
    assert request.json()["event"] == "run_failed"


def test_runs_finished_while_no_alerter_ran_are_alerted_when_one_starts(harness: Harness) -> None:
    with WebhookReceiver() as receiver:
        harness.webhook(receiver.url, events=["run_failed"])
        harness.schedule()
        harness.alerter.scan_once()  # the cursor exists
        failed = [harness.next_slot("fail")[0].id for _ in range(3)]
        harness.clock.advance(timedelta(hours=2))  # far past the overlap
        harness.alert()
    assert sorted(body["run_id"] for body in receiver.bodies()) == failed
