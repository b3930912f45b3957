"""Alert deliveries as the alert ledger hands them to senders and reports them: a scan's report, a
claimed delivery, and a delivery's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cronwright.domain.alert_channel import AlertChannelId
from cronwright.domain.enums import AlertChannelKind, AlertDeliveryState
from cronwright.domain.ids import OrganizationId, RunId, ScheduleId
from cronwright.domain.json_values import JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanReport:
    since: datetime  # facts after this instant (the cursor less the overlap) ...
    until: datetime  # ... up to this one were considered
    alerts: int  # alerts the facts called for, before dedup against earlier scans
    enqueued: int  # deliveries written
    coalesced: int  # alerts held back by the rate limit (counted in a summary instead)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingDelivery:
    """A claimed delivery: where it goes, what it says, and which attempt this is."""

    id: int
    org_id: OrganizationId
    channel_id: AlertChannelId
    kind: AlertChannelKind
    target: str
    secret: str | None
    event: str
    payload: JsonObject
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    id: int
    channel_id: AlertChannelId
    schedule_id: ScheduleId | None
    run_id: RunId | None
    event: str
    dedup_key: str
    payload: JsonObject
    state: AlertDeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
