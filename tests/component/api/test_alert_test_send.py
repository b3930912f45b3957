"""``POST /alert-channels/{id}/test``: a real test alert, sent while the request waits, recorded
like any delivery. Webhooks go to an HTTP server on 127.0.0.1, checked as a receiver would."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.engine import alerts
from cronwright.engine.delivery import smtp_mail
from cronwright.testing.server import ServerThread
from tests.component.alerts.receivers import SmtpReceiver, WebhookReceiver
from tests.component.api.conftest import T0, Api, Tenant, problem_of
from tests.conftest import LOCAL_OUTBOUND, fresh_database_url
from tests.support.rows import delivery_attempts

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


def test_a_refusing_channel_answers_not_delivered_and_records_the_reason(
    api: Api, acme: Tenant
) -> None:
    with WebhookReceiver(statuses=(502,)) as receiver:
        channel_id = channel(acme, receiver.url, enabled=False)  # disabled channels can be tested
        response = acme.admin.post(f"{V1}/alert-channels/{channel_id}/test")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["delivered"] is False
    # A class of failure only: the status would tell an HTTP server from a closed port.
    assert answer["error"] == "not delivered: the channel did not accept the alert"
    [delivery] = api.container.alerter.store.deliveries(acme.org.id)
    assert (delivery.state, delivery.last_error) == (  # the operator's record says why
        domain.AlertDeliveryState.FAILED,
        "HTTP 502 Bad Gateway",  # never the receiver's body
    )
    [attempt] = delivery_attempts(api.container.alerter.store, delivery.id)
    assert (attempt.delivered, attempt.error) == (False, "HTTP 502 Bad Gateway")
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


def test_a_test_alert_is_mailed_through_the_configured_smtp_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url(request, "sqlite", tmp_path)
    with SmtpReceiver() as smtp:
        settings = alerts.AlerterSettings(
            outbound_policy=LOCAL_OUTBOUND,
            smtp=smtp_mail.SmtpSettings(host="127.0.0.1", port=smtp.port, sender="cw@example.org"),
        )
        container = Container.from_url(url, clock=FakeClock(T0), alert_settings=settings)
        org = container.service.organizations.create("mailers")
        token = container.service.organizations.issue_api_key(
            org.id, name="a", role=domain.Role.ADMIN
        ).token
        with (
            ServerThread(create_app(container)) as server,
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as client,
        ):
            created = client.post(
                f"{V1}/alert-channels",
                json={
                    "name": "ops mail",
                    "kind": "email",
                    "target": "ops@example.org",
                    "events": ["schedule_missed"],
                },
            )
            answer = client.post(f"{V1}/alert-channels/{created.json()['id']}/test").json()
        container.close()
    assert (answer["delivered"], answer["error"]) == (True, None)
    [message] = smtp.messages
    assert smtp.envelopes == [("cw@example.org", ["ops@example.org"])]
    assert message["Subject"].strip() == (
        "[cronwright] test alert for channel 'ops mail': delivery works"
    )
    assert message.get_body(preferencelist=("html",)) is not None
