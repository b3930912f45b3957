"""A throwaway Redis server for tests: Debian's ``redis-server`` on a free port of 127.0.0.1,
nothing saved to disk, stopped (and its directory removed) by :meth:`RedisServer.stop`.

    with RedisServer.start() as server:
        url = server.url(0)      # redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from cronwright.testing.postgres import free_port

READY = "Ready to accept connections"
START_TIMEOUT_SECONDS = 30.0


class RedisUnavailableError(RuntimeError):
    """No ``redis-server`` on this machine, or it would not start."""


def find_server() -> Path:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        raise RedisUnavailableError("redis-server not found on PATH or in /usr/bin")
    return Path(found)


class RedisServer:
    def __init__(self, process: subprocess.Popen[str], *, port: int, base_dir: Path) -> None:
        self.process = process
        self.port = port
        self.base_dir = base_dir

    @classmethod
    def start(cls, *, binary: Path | None = None) -> RedisServer:
        binary = binary or find_server()
        base_dir = Path(tempfile.mkdtemp(prefix="cronwright-redis-"))
        port = free_port()
        process = subprocess.Popen(
            [
                str(binary),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(base_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        server = cls(process, port=port, base_dir=base_dir)
        try:
            server._wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self) -> None:
        """Read the server's log until it says it is ready (no polling, no sleeping); the
        rest of its output is drained so the pipe never fills."""
        lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def drain() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, name="redis-log", daemon=True).start()
        seen: list[str] = []
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT_SECONDS)
            except queue.Empty:
                raise RedisUnavailableError(
                    f"redis-server did not get ready in {START_TIMEOUT_SECONDS:g} s"
                ) from None
            if line is None:
                raise RedisUnavailableError("redis-server exited:\n" + "".join(seen[-20:]))
            seen.append(line)
            if READY in line:
                return

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
