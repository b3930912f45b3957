from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronwright import service
from cronwright.api import Container, create_app
from cronwright.cli.admin import common
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog
from cronwright.testing.server import ServerThread
from tests.conftest import fresh_database_url
from tests.support.served import NOW, Served, seed


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request, "sqlite", tmp_path)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The commands' clock, on the database and through the API alike."""
    now = FakeClock(NOW)
    monkeypatch.setattr(common, "make_clock", lambda: now)
    return now


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Served]:
    """A seeded database, and a server over an identical copy (``tests/support/served.py``)."""
    url = fresh_database_url(request, "sqlite", tmp_path)
    tokens, prefix = seed(url)
    copy = tmp_path / "served.db"
    shutil.copyfile(tmp_path / "cronwright.db", copy)
    # The server marks the key used at its first request; so does this, on the original.
    store = sql_catalog.SqlCatalog.from_url(url)
    service.Service.build(store, clock).organizations.authenticate(tokens["admin"])
    store.close()
    container = Container.from_url(f"sqlite:///{copy}", clock=clock)
    with ServerThread(create_app(container)) as server:
        yield Served(
            database_url=url,
            api_url=server.url,
            served_url=f"sqlite:///{copy}",
            tokens=tokens,
            prefix=prefix,
        )
    container.close()


def command() -> list[str]:
    """The console script installed next to this interpreter, as a user would run it."""
    script = shutil.which("cronwright", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "cronwright"]


def cronwright(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the script with stderr on a pseudo-terminal (as a person would see it)."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*command(), *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        close_fds=True,
        env=env,
    ) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not chunk:
                break
            seen += chunk
        code = process.wait(timeout=120)
    os.close(leader)
    return code, seen.decode(errors="replace")
