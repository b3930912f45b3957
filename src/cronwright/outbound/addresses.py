"""Which IP addresses an outgoing request may reach by default: global unicast ones only.

:func:`refusal` names why an address is not global (``loopback``, ``private``...), from IANA's
special-purpose registries rather than ``ipaddress.is_global`` alone, whose answers changed
between Python releases. Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4,
Teredo) are judged by the address they embed as well.

:func:`ip_literal` reads a URL host the way resolvers do, so ``0x7f000001``, ``2130706433``,
``0177.0.0.1`` and ``127.1`` are all 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# (network, why it is refused); the first match names the reason.
_REFUSED_V4: tuple[tuple[_V4, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("100.64.0.0/10"), "shared (carrier-grade NAT)"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
)
_REFUSED_V6: tuple[tuple[_V6, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "reserved"),  # IPv4-compatible, deprecated
    (_V6("64:ff9b:1::/48"), "private"),  # local-use NAT64
    (_V6("100::/64"), "reserved"),  # discard-only
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments (Teredo is judged below)
    (_V6("3fff::/20"), "documentation"),
    (_V6("5f00::/16"), "reserved"),  # segment routing
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)
_NAT64 = _V6("64:ff9b::/96")
_TEREDO = _V6("2001::/32")


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a global unicast address (``"loopback"``, ``"private"``...), or
    None when it is one."""
    if isinstance(address, ipaddress.IPv4Address):
        for network, reason in _REFUSED_V4:
            if address in network:
                return reason
        return None if address.is_global else "reserved"
    embedded = _embedded_v4(address)
    if embedded is not None:
        return refusal(embedded)
    for network6, reason in _REFUSED_V6:
        if address in network6:
            return reason
    return None if address.is_global else "reserved"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _TEREDO and address.teredo is not None:
        return address.teredo[1]  # the client's address (the server's is global anyway)
    return None


_V4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` (a URL's host, brackets and one trailing dot allowed) spells by
    itself, in any form a resolver accepts; None when it is a name."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])  # a zone id does not matter
        except ValueError:
            return None
    return _ipv4_any_form(text.removesuffix("."))


def _ipv4_any_form(text: str) -> ipaddress.IPv4Address | None:
    """inet_aton's forms: 1 to 4 dot-separated parts, each decimal, 0x hex or 0-leading octal;
    the last part fills the remaining bytes (``127.1`` is 127.0.0.1)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_V4_PART.fullmatch(part) for part in parts):
        return None
    numbers = [_number(part) for part in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)
