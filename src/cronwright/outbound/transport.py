"""httpx clients whose every connection obeys an :class:`~cronwright.outbound.OutboundPolicy`.

The check sits where the socket is opened: the host of each connection (the first request's,
each redirect's, each reconnect's) is resolved here, every resolved address is checked, and the
socket connects to a checked address itself, never to the name, so a second DNS answer (DNS
rebinding) cannot slip in between the check and the connection. TLS still verifies the
certificate against the URL's host name. Proxies from the environment are not used: a proxy
would make the connection the policy cannot see.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable, Iterable

import httpcore
import httpx

from cronwright.outbound import addresses
from cronwright.outbound.policy import OutboundPolicy, OutboundRefused

# host, port -> the addresses the host resolves to, in the resolver's order.
Resolver = Callable[[str, int], list[str]]
DEFAULT_TIMEOUT_SECONDS = 30.0
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class _HideCredentials(logging.Filter):
    """httpx logs each request's full URL at INFO: its user info and query may hold passwords
    and tokens, so the record shows the URL without them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                arg.copy_with(userinfo=b"", query=None, fragment=None)
                if isinstance(arg, httpx.URL)
                else arg
                for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_HideCredentials())


def system_resolver(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class CheckedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy allows."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        literal = addresses.ip_literal(host)
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = self._resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        allowed, refused = [], None
        for candidate in candidates:
            try:
                self._policy.check_address(host, addresses.ip_literal(candidate) or _bad(candidate))
            except OutboundRefused as exc:
                refused = exc
                continue
            allowed.append(candidate)
        if not allowed:
            raise refused or httpcore.ConnectError(f"{host} resolves to no address")
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in allowed:  # the checked address itself: no second lookup
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise OutboundRefused(path, "local socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bad(candidate: str) -> addresses.IPAddress:
    raise httpcore.ConnectError(f"the resolver answered {candidate!r}, not an address")


class CheckedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` over a :class:`CheckedBackend`."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(trust_env=False)
        # httpx offers no way to name the network backend: its connection pool is replaced by
        # one built the same way (httpx's default limits) over ours.
        self._pool = httpcore.ConnectionPool(
            # SSL_CERT_FILE and SSL_CERT_DIR still name private authorities; proxies are off.
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=True),
            keepalive_expiry=httpx.Limits().keepalive_expiry,
            network_backend=CheckedBackend(policy, resolver),
        )


def client(
    policy: OutboundPolicy,
    *,
    timeout: httpx.Timeout | float | None = None,
    follow_redirects: bool = False,
    resolver: Resolver = system_resolver,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client for cronwright's outgoing requests under ``policy``."""
    return httpx.Client(
        transport=CheckedTransport(policy, resolver=resolver, verify=verify),
        timeout=httpx.Timeout(DEFAULT_TIMEOUT_SECONDS) if timeout is None else timeout,
        follow_redirects=follow_redirects,
        trust_env=False,
    )
