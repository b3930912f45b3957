from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fresh_database_url


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request, "sqlite", tmp_path)


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
