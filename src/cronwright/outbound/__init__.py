"""The outbound policy: every request cronwright makes on a tenant's behalf (``http`` steps,
webhooks, test alerts) connects only where :class:`OutboundPolicy` allows, checked on the
address each connection uses. See ``docs/security.md``."""

from __future__ import annotations

from cronwright.outbound.addresses import ip_literal, refusal
from cronwright.outbound.policy import SETTING, OutboundPolicy, OutboundRefused
from cronwright.outbound.transport import CheckedBackend, CheckedTransport, Resolver, client

__all__ = [
    "SETTING",
    "CheckedBackend",
    "CheckedTransport",
    "OutboundPolicy",
    "OutboundRefused",
    "Resolver",
    "client",
    "ip_literal",
    "refusal",
]
