"""A real broker (the session's Redis) and a real Celery worker process consuming queue
``work``; the ``client`` app reads results from the same Redis."""

from __future__ import annotations

import gc
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cronwright.testing.redis import RedisServer

celery = pytest.importorskip("celery")

HERE = Path(__file__).parent
QUEUE = "work"


class Worker:
    def __init__(self, broker_url: str, backend_url: str) -> None:
        self.broker_url = broker_url
        self.backend_url = backend_url
        env = {
            **os.environ,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": backend_url,
            "PYTHONPATH": str(HERE),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker_tasks",
                "worker",
                "--pool",
                "solo",
                "-Q",
                QUEUE,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log: list[str] = []
        self._wait_ready()

    def _wait_ready(self) -> None:
        lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def drain() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        while True:
            line = lines.get(timeout=60)
            if line is None:
                raise RuntimeError("the Celery worker exited:\n" + "".join(self.log[-30:]))
            self.log.append(line)
            if "ready." in line:
                # Keep draining into the log so the pipe never fills.
                threading.Thread(target=self._keep, args=(lines,), daemon=True).start()
                return

    def _keep(self, lines: queue.Queue[str | None]) -> None:
        while (line := lines.get()) is not None:
            self.log.append(line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def worker(redis_server: RedisServer) -> Iterator[Worker]:
    started = Worker(redis_server.url(1), redis_server.url(2))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def client(worker: Worker) -> Iterator[Any]:
    """A Celery app of the test's own, to read results and look at the broker."""
    app = celery.Celery("client", broker=worker.broker_url, backend=worker.backend_url)
    yield app
    # Results this module read unsubscribe when collected: do it while Redis still runs.
    gc.collect()
    app.close()
