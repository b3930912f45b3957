"""Alert channel use cases for one organization: where alerts go, checked before they are saved.

Delivery (and sending a test alert) belongs to the engine; this module only keeps the list. A
webhook aimed at an address the outbound policy refuses is refused here, when it is saved.
Names are unique in an organization; :meth:`AlertChannels.put` creates or updates by name.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Collection
from urllib.parse import urlsplit

from cronwright import clock, domain, errors, outbound
from cronwright.actions import secret_values
from cronwright.domain import alert_channel
from cronwright.service import paging
from cronwright.service.organizations import check_name
from cronwright.store import contracts

MAX_TARGET_LENGTH = 2000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_target(
    kind: domain.AlertChannelKind, target: str, policy: outbound.OutboundPolicy | None = None
) -> str:
    """The target, trimmed; ``InvalidInput`` naming ``target`` when it is no URL or address,
    or a webhook aimed at an address ``policy`` (None: the default) refuses."""
    target = target.strip()
    if len(target) > MAX_TARGET_LENGTH:
        raise errors.InvalidInput(
            field="target", message=f"must be at most {MAX_TARGET_LENGTH} characters"
        )
    if kind is domain.AlertChannelKind.WEBHOOK:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.InvalidInput(field="target", message="must be an http or https URL")
        try:
            (policy or outbound.OutboundPolicy()).check_url(target)
        except outbound.OutboundRefused as exc:
            raise errors.InvalidInput(field="target", message=str(exc)) from None
    elif not _EMAIL.fullmatch(target):
        raise errors.InvalidInput(field="target", message="must be an e-mail address")
    return target


def check_events(events: Collection[str]) -> tuple[str, ...]:
    unknown = sorted(set(events) - alert_channel.ALERT_EVENTS)
    if unknown:
        known = ", ".join(sorted(alert_channel.ALERT_EVENTS))
        raise errors.InvalidInput(
            field="events", message=f"unknown event {unknown[0]!r}; known events: {known}"
        )
    if not events:
        raise errors.InvalidInput(field="events", message="must name at least one event")
    return tuple(sorted(set(events)))


def check_secret(kind: domain.AlertChannelKind, secret: str | None) -> str | None:
    if secret is not None and kind is not domain.AlertChannelKind.WEBHOOK:
        raise errors.InvalidInput(field="secret", message="only webhooks are signed")
    return secret


class AlertChannels:
    def __init__(
        self,
        store: contracts.AlertChannels,
        clock: clock.Clock,
        *,
        outbound_policy: outbound.OutboundPolicy | None = None,
    ) -> None:
        """``outbound_policy``: the one webhooks are sent under (None: the default)."""
        self._store = store
        self._clock = clock
        self._policy = outbound_policy or outbound.OutboundPolicy()

    def create(
        self,
        org_id: domain.OrganizationId,
        *,
        name: str,
        kind: domain.AlertChannelKind,
        target: str,
        events: Collection[str],
        secret: str | None = None,
        enabled: bool = True,
    ) -> alert_channel.AlertChannel:
        return self._store.add(
            org_id=org_id,
            name=check_name(name),
            kind=kind,
            target=check_target(kind, _kept_password(target, None), self._policy),
            secret=check_secret(kind, secret),
            events=check_events(events),
            enabled=enabled,
            now=self._clock.now(),
        )

    def get(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> alert_channel.AlertChannel:
        return self._store.get(org_id, channel_id)

    def list(
        self,
        org_id: domain.OrganizationId,
        *,
        cursor: str | None = None,
        limit: int = domain.DEFAULT_PAGE_SIZE,
    ) -> domain.Page[alert_channel.AlertChannel]:
        paging.check_limit(limit)
        found = self._store.list(org_id, after_id=paging.decode_cursor(cursor), limit=limit + 1)
        return paging.page_of(found, limit, lambda channel: channel.id)

    def update(
        self,
        org_id: domain.OrganizationId,
        channel_id: alert_channel.AlertChannelId,
        *,
        name: str | None = None,
        target: str | None = None,
        events: builtins.list[str] | None = None,
        secret: str | None = None,
        clear_secret: bool = False,
        enabled: bool | None = None,
    ) -> alert_channel.AlertChannel:
        """Change the given fields; the kind is fixed at creation (a new kind is a new channel)."""
        current = self._store.get(org_id, channel_id)
        new_secret = None if clear_secret else (current.secret if secret is None else secret)
        return self._store.update(
            org_id,
            channel_id,
            name=current.name if name is None else check_name(name),
            target=(
                current.target
                if target is None
                else check_target(
                    current.kind, _kept_password(target, current.target), self._policy
                )
            ),
            secret=check_secret(current.kind, new_secret),
            events=current.events if events is None else check_events(events),
            enabled=current.enabled if enabled is None else enabled,
        )

    def delete(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> None:
        self._store.delete(org_id, channel_id)

    def put(
        self,
        org_id: domain.OrganizationId,
        *,
        name: str,
        kind: domain.AlertChannelKind,
        target: str,
        events: Collection[str],
        secret: str | None = None,
        enabled: bool = True,
    ) -> tuple[alert_channel.AlertChannel, bool]:
        """Create the channel named ``name``, or make the existing one exactly this (the secret
        too: None leaves it unsigned); True when it was created. The kind of an existing
        channel cannot change: ``InvalidInput`` on ``kind``."""
        name = check_name(name)
        current = self._store.find_by_name(org_id, name)
        if current is None:
            try:
                created = self.create(
                    org_id,
                    name=name,
                    kind=kind,
                    target=target,
                    events=events,
                    secret=secret,
                    enabled=enabled,
                )
                return created, True
            except errors.NameTaken as taken:  # created meanwhile: update that one
                current = self._store.get(org_id, alert_channel.AlertChannelId(taken.existing_id))
        if current.kind is not kind:
            raise errors.InvalidInput(
                field="kind",
                message=f"alert channel {current.id} named {name!r} is a {current.kind.value} "
                "channel; a new kind is a new channel (another name, or delete it first)",
            )
        updated = self.update(
            org_id,
            current.id,
            target=target,
            events=builtins.list(events),
            secret=secret,
            clear_secret=secret is None,
            enabled=enabled,
        )
        return updated, False


def _kept_password(target: str, stored: str | None) -> str:
    """A webhook URL whose password reads ``***``: the stored one, for the same scheme, host
    and port only."""
    try:
        return secret_values.keep_stored_url(target, stored)
    except secret_values.SecretNotKept as exc:
        raise errors.InvalidInput(field="target", message=str(exc).removeprefix("url: ")) from None
