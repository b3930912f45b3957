"""Senders: one per channel kind, each sending one delivery with its own timeouts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from cronwright import domain


class Sender(Protocol):
    def send(self, delivery: domain.OutgoingDelivery, *, now: datetime) -> None:
        """Hand the delivery to its channel; raise ``AlertDeliveryFailed`` saying why not.
        Must return (or raise) within the sender's timeout."""
        ...
