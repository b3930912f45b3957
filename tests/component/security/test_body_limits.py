"""Keys are checked before bodies are read, and bodies are limited while they stream in, on the
API and the dashboard alike, for chunked bodies and declared lengths. Raw sockets, so the test
controls exactly how much of a body has been sent when the answer comes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import pytest

from cronwright.api.limits import MAX_BODY_BYTES
from cronwright.web.forms import MAX_FORM_BYTES
from tests.component.security.edge import V1, Edge, Tenant, problem_of

CHUNK = 64 * 1024


def chunked(size: int) -> Iterable[bytes]:
    """``size`` bytes of body as HTTP/1.1 chunks, without the final empty chunk."""
    sent = 0
    while sent < size:
        part = b"x" * min(CHUNK, size - sent)
        sent += len(part)
        yield b"%x\r\n%s\r\n" % (len(part), part)


def exchange(url: str, head: str, body: Iterable[bytes]) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` and as much of ``body`` as the server takes; the answer's status line,
    headers and the start of its body."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for piece in body:
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed: what it said is in the socket
        received = b""
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        head_bytes, _, rest = received.partition(b"\r\n\r\n")
        status_line, *lines = head_bytes.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)
        }
        while len(rest) < int(headers.get("content-length", "0")):
            data = sock.recv(65536)
            if not data:
                break
            rest += data
    return int(status_line.split()[1]), headers, rest


def request_head(method: str, path: str, url: str, *extra: str) -> str:
    host = urlsplit(url).netloc
    return "\n".join([f"{method} {path} HTTP/1.1", f"Host: {host}", *extra, ""])


def test_an_anonymous_chunked_body_is_refused_before_it_is_read(edge: Edge) -> None:
    """The first 64 KiB of an endless body is all the server ever sees: its 401 comes first."""
    head = request_head(
        "POST",
        f"{V1}/cron/validate",
        edge.url,
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    status, headers, _ = exchange(edge.url, head, chunked(CHUNK))
    assert status == 401
    assert headers["content-type"] == "application/problem+json"


def test_a_known_keys_chunked_body_past_the_limit_is_413(edge: Edge, acme: Tenant) -> None:
    head = request_head(
        "POST",
        f"{V1}/cron/validate",
        edge.url,
        f"Authorization: Bearer {acme.tokens['viewer']}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    status, headers, body = exchange(edge.url, head, chunked(MAX_BODY_BYTES + 10 * CHUNK))
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert b"at most" in body


def test_a_declared_length_past_the_limit_is_413_before_reading(edge: Edge, acme: Tenant) -> None:
    head = request_head(
        "POST",
        f"{V1}/schedules",
        edge.url,
        f"Authorization: Bearer {acme.tokens['editor']}",
        "Content-Type: application/json",
        f"Content-Length: {150 * 1024 * 1024}",
    )
    status, _, _ = exchange(edge.url, head, [b"{"])
    assert status == 413


def test_a_chunked_sign_in_form_past_the_limit_is_a_413_page(edge: Edge) -> None:
    head = request_head(
        "POST",
        "/ui/signin",
        edge.url,
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
    )
    status, headers, body = exchange(edge.url, head, chunked(MAX_FORM_BYTES + 4 * CHUNK))
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert b"too large" in body


def test_a_declared_50_mib_sign_in_form_is_refused_unread(edge: Edge) -> None:
    head = request_head(
        "POST",
        "/ui/signin",
        edge.url,
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {50 * 1024 * 1024}",
    )
    status, headers, _ = exchange(edge.url, head, [b"api_key="])
    assert status == 413
    assert headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "body",
    [b"{not json", json.dumps({"expression": 5, "nonsense": True}).encode(), b"x" * 4096],
    ids=["malformed", "wrong-types", "garbage"],
)
def test_strangers_learn_nothing_about_their_body(edge: Edge, acme: Tenant, body: bytes) -> None:
    """401 for no key or a wrong one, 403 for a role too low: never a 400 describing the body."""
    json_type = {"Content-Type": "application/json"}
    anonymous = edge.client().post(f"{V1}/cron/validate", content=body, headers=json_type)
    problem_of(anonymous, 401)
    revoked = edge.client(acme.tokens["revoked"])
    problem_of(revoked.post(f"{V1}/schedules", content=body, headers=json_type), 401)
    viewer = edge.client(acme.tokens["viewer"])
    problem_of(viewer.post(f"{V1}/schedules", content=body, headers=json_type), 403)
    problem_of(viewer.post(f"{V1}/cron/validate", content=body, headers=json_type), 400)


def test_every_dashboard_form_is_limited(edge: Edge, acme: Tenant) -> None:
    client = edge.signed_in(acme.tokens["editor"])
    big = {"csrf": "x" * (MAX_FORM_BYTES + 1)}
    for path in ("/ui/signout", "/ui/schedules/1/pause", "/ui/signin"):
        response = client.post(path, data=big)
        assert response.status_code == 413, path
        assert response.headers["content-type"].startswith("text/html")
