"""The ``cronwright`` command as real processes: start one, read its banner, wait for what it
does through its HTTP API, signal it, collect its exit status and output."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx

T = TypeVar("T")
BANNER = re.compile(r"cronwright (?:serve|api): (http://\S+)")
KEY = re.compile(r"admin API key \(shown once\): (cw_\S+)")


def cronwright_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m cronwright``."""
    script = shutil.which("cronwright", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "cronwright"]


def environment(**settings: str) -> dict[str, str]:
    """This environment without any CRONWRIGHT_* setting of its own, 127.0.0.1 allowed for
    outgoing requests, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRONWRIGHT_")}
    # The receivers and the demo's health check listen on 127.0.0.1: allowed, as on a laptop.
    env["CRONWRIGHT_OUTBOUND_ALLOW"] = "127.0.0.1"
    env.update({f"CRONWRIGHT_{name.upper()}": value for name, value in settings.items()})
    return env


class Process:
    """A running ``cronwright`` command; stdout and stderr are collected by reader threads
    (so a chatty process never blocks on a full pipe)."""

    def __init__(
        self,
        args: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        program: list[str] | None = None,
        new_session: bool = False,
    ) -> None:
        """``program``: what to run ``args`` with (default: the ``cronwright`` script);
        ``new_session``: in a process group of its own, to signal it as a terminal would."""
        self.args = args
        self.popen = subprocess.Popen(
            [*(program or cronwright_command()), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=new_session,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=_drain, args=(self.popen.stdout, self._out), daemon=True),
            threading.Thread(target=_drain, args=(self.popen.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def describe(self) -> str:
        command = " ".join(self.args)
        return f"cronwright {command}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def wait_for_output(self, pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        def found() -> re.Match[str] | None:
            self.check_alive()
            return pattern.search(self.stdout)

        return wait_until(found, timeout, lambda: self.describe())

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            for reader in self._readers:
                reader.join(timeout=5)
            raise AssertionError(f"exited with {self.popen.returncode}:\n{self.describe()}")

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float = 60) -> int:
        code = self.popen.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def stop(self) -> None:
        """Kill it if it still runs (a failed test's cleanup)."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


def _drain(stream: IO[str] | None, into: list[str]) -> None:
    assert stream is not None
    for line in stream:
        into.append(line)


@contextmanager
def running(args: list[str], *, cwd: Path, env: dict[str, str]) -> Iterator[Process]:
    process = Process(args, cwd=cwd, env=env)
    try:
        yield process
    finally:
        process.stop()


def wait_until(
    probe: Callable[[], T | None], timeout: float, describe: Callable[[], str] = lambda: ""
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s\n{describe()}")
        time.sleep(0.2)


def run(
    args: list[str], *, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cronwright_command(), *args],
        cwd=cwd or tempfile.gettempdir(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def api_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def runs(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every run of the caller's organization matching ``params``, following the cursor."""
    found: list[dict[str, Any]] = []
    query = dict(params, limit=200)
    while True:
        response = client.get("/runs", params=query)
        response.raise_for_status()
        body = response.json()
        found.extend(body["items"])
        if not body.get("next_cursor"):
            return found
        query["cursor"] = body["next_cursor"]


def create_schedule(
    client: httpx.Client, name: str, cron: str, steps: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    workflow = client.post("/workflows", json={"name": name, "definition": {"steps": steps}})
    assert workflow.status_code == 201, workflow.text
    schedule = client.post(
        "/schedules",
        json={"workflow_id": workflow.json()["id"], "name": name, "cron": cron, **fields},
    )
    assert schedule.status_code == 201, schedule.text
    return dict(schedule.json())


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}
