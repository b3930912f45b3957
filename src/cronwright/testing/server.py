"""A real HTTP server for tests and benchmarks: uvicorn in a thread on 127.0.0.1.

The listening socket is bound and listening before the thread starts, so a client may connect at
once (the kernel queues the connection until uvicorn accepts it): no polling for readiness.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn


class ServerThread:
    def __init__(self, app: Any, **config: Any) -> None:
        # IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted sockets (see bootstrap.http).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(1024)
        config.setdefault("log_level", "warning")
        config.setdefault("lifespan", "off")
        self._server = uvicorn.Server(uvicorn.Config(app, **config))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()
        return f"http://{host}:{port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
