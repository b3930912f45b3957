"""Alert channels: where an organization wants to hear about failures (webhook or e-mail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NewType

from cronwright.domain.enums import AlertChannelKind
from cronwright.domain.ids import OrganizationId

AlertChannelId = NewType("AlertChannelId", int)

# What a channel can subscribe to: a run's final failure, the first success after failures, and
# a slot that was never started within its grace (the scheduler or the queue is stuck).
ALERT_EVENTS = frozenset({"run_failed", "run_recovered", "schedule_missed"})


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertChannel:
    id: AlertChannelId
    org_id: OrganizationId
    name: str
    kind: AlertChannelKind
    target: str  # webhook URL or e-mail address
    secret: str | None  # HMAC key for webhook signatures; never shown back
    events: tuple[str, ...]
    enabled: bool
    created_at: datetime
