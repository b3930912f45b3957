"""Webhooks: the alert as a JSON body, signed so the receiver can check who sent it and when.

Signature (see docs/alert_ledger.md): ``X-Cronwright-Timestamp: <unix seconds>`` and
``X-Cronwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``. The
timestamp inside the signed text lets a receiver refuse replays of an old request.

Requests go through the operator's outbound policy, checked on the address each connection uses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import httpx

from cronwright import domain, errors, outbound

TIMESTAMP_HEADER = "X-Cronwright-Timestamp"
SIGNATURE_HEADER = "X-Cronwright-Signature"
EVENT_HEADER = "X-Cronwright-Event"
DELIVERY_HEADER = "X-Cronwright-Delivery"  # the same on every retry: receivers may dedup on it
DEFAULT_TIMEOUT = timedelta(seconds=10)
REFUSED = "not delivered: the outbound policy does not allow this address"


def body_of(payload: domain.JsonObject) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Cronwright-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class WebhookSender:
    """POSTs with httpx under ``policy`` (None: global addresses only); ``timeout`` bounds
    connecting, and each read and write."""

    def __init__(
        self,
        *,
        timeout: timedelta = DEFAULT_TIMEOUT,
        policy: outbound.OutboundPolicy | None = None,
    ) -> None:
        self._timeout = httpx.Timeout(timeout.total_seconds())
        self._policy = policy or outbound.OutboundPolicy()

    def send(self, delivery: domain.OutgoingDelivery, *, now: datetime) -> None:
        body = body_of(delivery.payload)
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "cronwright-alerts",
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.id),
        }
        if delivery.secret:
            headers[SIGNATURE_HEADER] = signature(delivery.secret, timestamp, body)
        try:
            with outbound.client(self._policy, timeout=self._timeout) as client:
                response = client.post(delivery.target, content=body, headers=headers)
        except outbound.OutboundRefused as exc:
            raise errors.AlertDeliveryFailed(str(exc), public=REFUSED) from exc
        except httpx.HTTPError as exc:
            raise errors.AlertDeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            # The status only, never the body: the error is shown to the channel's owner, and a
            # body fetched from wherever the URL points must not leak through it.
            raise errors.AlertDeliveryFailed(
                f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            )
