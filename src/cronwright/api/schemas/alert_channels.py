"""Alert channels: a webhook URL or an e-mail address, and the events it wants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from cronwright import domain
from cronwright.actions import secret_values
from cronwright.api.schemas.common import FROM_TEXT, Name, Out, Strict, clean_text
from cronwright.domain import alert_channel

Target = Annotated[
    str,
    Field(min_length=1, max_length=2000, examples=["https://hooks.example.org/cronwright"]),
    AfterValidator(clean_text),
]
Secret = Annotated[str, Field(min_length=16, max_length=200), AfterValidator(clean_text)]
Event = Literal["run_failed", "run_recovered", "schedule_missed"]
assert set(get_args(Event)) == alert_channel.ALERT_EVENTS  # keep the schema honest


class AlertChannelCreate(Strict):
    name: Name = Field(examples=["on-call"])
    kind: Annotated[domain.AlertChannelKind, FROM_TEXT]
    target: Target
    events: list[Event] = Field(min_length=1, max_length=3)
    secret: Secret | None = Field(
        default=None, description="Webhooks only: HMAC-SHA256 key for the signature header."
    )
    enabled: bool = True


class AlertChannelChanges(Strict):
    """A PATCH: the fields present change; `secret: null` removes the signing key."""

    name: Name | None = None
    target: Target | None = None
    events: list[Event] | None = Field(default=None, min_length=1, max_length=3)
    secret: Secret | Literal["***"] | None = Field(
        default=None, description='"***" (or no secret field) keeps the signing key.'
    )
    enabled: bool | None = None


class AlertChannelOut(Out):
    id: int
    name: str
    kind: domain.AlertChannelKind
    target: str = Field(description='A password in the URL reads "***"; "***" keeps it.')
    events: list[str]
    has_secret: bool = Field(description="Whether webhooks are signed; the key is never shown.")
    enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, channel: alert_channel.AlertChannel) -> AlertChannelOut:
        return cls(
            id=channel.id,
            name=channel.name,
            kind=channel.kind,
            target=secret_values.masked_url(channel.target),
            events=list(channel.events),
            has_secret=channel.secret is not None,
            enabled=channel.enabled,
            created_at=channel.created_at,
        )


class AlertChannelPage(Out):
    items: list[AlertChannelOut]
    next_cursor: str | None


class AlertTestOut(Out):
    delivered: bool = Field(description="Whether the channel accepted the test alert.")
    error: str | None = Field(
        description="Why not, as a class of failure: the channel did not accept the alert, or "
        "the outbound policy does not allow its address. The details are for the operator."
    )
    delivery_id: int = Field(description="The recorded delivery of the test alert.")
