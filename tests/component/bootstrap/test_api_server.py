"""The API server's sockets: responses on a kept-alive connection go out at once."""

from __future__ import annotations

import socket

from fastapi import FastAPI

from cronwright.bootstrap.http_server import ApiServer
from cronwright.testing.server import ServerThread


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _nodelay_of_accepted(server: object, url: str) -> list[int]:
    """TCP_NODELAY of each connection ``server`` (uvicorn) accepted, with one open to it.

    Without it, uvicorn's two writes of a response (head, then body) meet Nagle's algorithm and
    the client's delayed ACK on a reused connection: ~40 ms per request instead of ~1 ms.
    """
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port))) as client:
        client.sendall(b"GET /ping HTTP/1.1\r\nHost: test\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        connections = server._server.server_state.connections  # type: ignore[attr-defined]
        return [
            protocol.transport.get_extra_info("socket").getsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY
            )
            for protocol in connections
        ]


def test_the_api_server_sends_responses_without_waiting_for_acks() -> None:
    server = ApiServer(_app(), host="127.0.0.1", port=0, log_level="warning")
    server.start()
    try:
        nodelay = _nodelay_of_accepted(server, server.url)
    finally:
        server.stop()
    assert nodelay
    assert all(nodelay)


def test_the_test_server_sends_responses_without_waiting_for_acks() -> None:
    with ServerThread(_app()) as server:
        nodelay = _nodelay_of_accepted(server, server.url)
    assert nodelay
    assert all(nodelay)
