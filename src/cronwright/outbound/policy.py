"""The outbound policy: where cronwright's own outgoing requests (``http`` steps, webhooks, test
alerts) may connect.

By default only global unicast addresses; the operator allows more with
``CRONWRIGHT_OUTBOUND_ALLOW``: address ranges (``10.0.0.0/8``, ``127.0.0.1``, ``fd00::/8``) and
host names (``internal.example``; ``*.internal.example`` for every name under it). An allowed
name may resolve to any address; any other name must resolve to an allowed address.

Two checks, one rule: :meth:`OutboundPolicy.check_url` at save time refuses a URL whose host is
a refused address literal (or ``localhost``), so the mistake is reported where it is made; the
connection-time check (:mod:`cronwright.outbound.transport`) is the guarantee, applied to the
address each connection actually uses, so DNS answers and redirects cannot go around it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cronwright import errors
from cronwright.outbound import addresses

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SETTING = "CRONWRIGHT_OUTBOUND_ALLOW"
_LOCALHOST = "localhost"


class OutboundRefused(errors.CronwrightError):
    """An outgoing connection the policy does not allow; the message names the host and why."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(
            f"{host} is {_article(reason)} {reason} address, which outgoing requests may not "
            f"reach (the operator can allow it with {SETTING})"
        )
        self.host = host
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Global addresses, plus the ``networks`` and host ``names`` the operator allows."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()  # lower-case; "*.example" covers names under example

    @classmethod
    def parse(cls, text: str) -> OutboundPolicy:
        """From the setting: comma-separated ranges, addresses and host names. ``ValueError``
        naming the entry that is neither."""
        return cls.allowing(part for part in text.split(",") if part.strip())

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> OutboundPolicy:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for raw in entries:
            entry = raw.strip().lower().removesuffix(".")
            if not entry:
                raise ValueError("an entry is empty")
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _is_host_pattern(entry):
                raise ValueError(f"{raw.strip()!r} is neither an address range nor a host name")
            names.add(entry)
        return cls(tuple(networks), frozenset(names))

    @property
    def entries(self) -> list[str]:
        """The allow list as the operator would write it."""
        return [str(network) for network in self.networks] + sorted(self.names)

    def allows_name(self, host: str) -> bool:
        name = host.lower().removesuffix(".")
        return name in self.names or any(
            pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in self.names
        )

    def check_address(self, host: str, address: addresses.IPAddress) -> None:
        """``OutboundRefused`` unless a connection to ``host`` may use ``address``."""
        if self.allows_name(host):
            return
        reason = addresses.refusal(address)
        if reason is None or any(address in network for network in self.networks):
            return
        raise OutboundRefused(host, reason)

    def check_url(self, url: str) -> None:
        """Save-time check of a URL (``ValueError`` saying why): its host must not be a refused
        address, in any spelling, nor ``localhost``. Names are resolved only when connecting.
        A host built from references (``{{ ... }}``) is checked when the request is made."""
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return  # not a URL: the caller's own checks say so
        if not host or "{{" in host or self.allows_name(host):
            return
        name = host.removesuffix(".")
        if name == _LOCALHOST or name.endswith("." + _LOCALHOST):
            if not any(ipaddress.ip_address("127.0.0.1") in network for network in self.networks):
                raise OutboundRefused(host, "loopback")
            return
        literal = addresses.ip_literal(host)
        if literal is not None:
            self.check_address(host, literal)


def _is_host_pattern(entry: str) -> bool:
    labels = entry.removeprefix("*.").split(".")
    return all(
        label and len(label) <= 63 and all(c.isascii() and (c.isalnum() or c == "-") for c in label)
        for label in labels
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
