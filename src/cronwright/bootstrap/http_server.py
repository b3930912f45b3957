"""The API's HTTP server in a thread of this process (``serve`` and ``api``).

The socket is bound before anything else starts, so a port in use is a clear start-up error,
and port 0 picks a free one (tests). The thread never installs signal handlers: the runtime
owns SIGINT/SIGTERM and tells the server to stop.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from cronwright.bootstrap import errors as startup


class ApiServer:
    def __init__(self, app: Any, *, host: str, port: int, log_level: str = "info") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and accepted sockets copy the listener's. Without it a response (uvicorn writes its
        # head and body apart) waits for the client's delayed ACK on a reused connection:
        # ~40 ms per keep-alive request instead of ~1 ms.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise startup.StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self._socket.listen(1024)
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", log_level=log_level.lower()
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="cronwright-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """Where this process answers; a wildcard address is reached through loopback."""
        host, port = self._socket.getsockname()[:2]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, finish the requests in progress, return."""
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()
