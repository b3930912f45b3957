"""``POST /alert-channels/{id}/test``: a real test alert, sent while the request waits, recorded
like any delivery. Webhooks go to an HTTP server on 127.0.0.1, checked as a receiver would."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from cronwright import domain
from tests.alerts.receivers import WebhookReceiver
from tests.api.conftest import Api, Tenant, problem_of

V1 = "/api/v1"
SECRET = "a-signing-key-of-some-length"


def channel(tenant: Tenant, url: str, **changes: Any) -> int:
    body = {"name": "hook", "kind": "webhook", "target": url, "events": ["run_failed"]}
    response = tenant.admin.post(f"{V1}/alert-channels", json=body | changes)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_test_alert_reaches_the_webhook_signed_and_is_recorded(api: Api, acme: Tenant) -> None:
    with WebhookReceiver() as receiver:
        channel_id = channel(acme, receiver.url, secret=SECRET)
        response = acme.admin.post(f"{V1}/alert-channels/{channel_id}/test")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["delivered"], answer["error"]) == (True, None)
    [request] = receiver.requests
    stamp = request.headers["x-cronwright-timestamp"]
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["x-cronwright-signature"] == f"t={stamp},v1={mac.hexdigest()}"
    assert request.json()["event"] == "test"
    assert request.json()["organization_id"] == acme.org.id
    [delivery] = api.container.alerter.store.deliveries(acme.org.id)
    assert delivery.id == answer["delivery_id"]
    assert (delivery.event, delivery.state, delivery.attempts) == (
        "test",
        domain.AlertDeliveryState.DELIVERED,
        1,
    )


def test_a_refusing_channel_answers_not_delivered_with_the_reason(api: Api, acme: Tenant) -> None:
    with WebhookReceiver(statuses=(502,)) as receiver:
        channel_id = channel(acme, receiver.url, enabled=False)  # disabled channels can be tested
        response = acme.admin.post(f"{V1}/alert-channels/{channel_id}/test")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["delivered"] is False
    assert answer["error"] == "HTTP 502 Bad Gateway"  # never the receiver's body
    [delivery] = api.container.alerter.store.deliveries(acme.org.id)
    assert (delivery.state, delivery.last_error) == (
        domain.AlertDeliveryState.FAILED,
        answer["error"],
    )
    [attempt] = api.container.alerter.store.attempts(delivery.id)
    assert (attempt.delivered, attempt.error) == (False, answer["error"])
    assert len(receiver.requests) == 1  # tried once, never retried


def test_only_admins_of_the_channels_organization_may_send_a_test(
    api: Api, acme: Tenant, rival: Tenant
) -> None:
    with WebhookReceiver() as receiver:
        channel_id = channel(acme, receiver.url)
        url = f"{V1}/alert-channels/{channel_id}/test"
        problem_of(acme.editor.post(url), 403)
        problem_of(rival.admin.post(url), 404)
        problem_of(acme.admin.post(f"{V1}/alert-channels/{channel_id + 1000}/test"), 404)
    assert receiver.requests == []
    assert api.container.alerter.store.deliveries(acme.org.id) == []
