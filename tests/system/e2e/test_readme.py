"""The README's first command, run as written in a fresh copy of the repository: it makes a
virtual environment, installs cronwright from the copy, and ``serve --demo`` answers and runs
workflows. (CI runs the second command itself: installing ``.[dev]`` and the test suite.)"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from cronwright.testing.postgres import free_port
from tests.system.e2e.processes import (
    BANNER,
    KEY,
    Process,
    api_client,
    environment,
    runs,
    wait_until,
)

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).parents[3]


def readme_commands() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "the README starts with a sh block of commands"
    return block.group(1).strip().splitlines()


def fresh_copy(into: Path) -> Path:
    """The repository's committed and staged files, as a fresh clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPOSITORY / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def test_the_first_readme_command_serves_the_demo(tmp_path: Path) -> None:
    first = readme_commands()[0]
    assert first.endswith("cronwright serve --demo"), first
    checkout = fresh_copy(tmp_path / "cronwright")
    # Only the port is chosen from outside (8080 may be taken on a CI host); the rest is as written.
    env = environment(port=str(free_port()))
    process = Process(["-c", first], cwd=checkout, env=env, program=["bash"], new_session=True)
    try:
        url = process.wait_for_output(BANNER, timeout=600).group(1)
        token = process.wait_for_output(KEY).group(1)
        assert httpx.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
        with api_client(url, token) as client:
            wait_until(lambda: runs(client, state="succeeded"), 60, process.describe)
        os.killpg(process.popen.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert process.wait(timeout=60) == 0, process.describe()
    finally:
        if process.popen.poll() is None:
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.stop()
    assert (checkout / ".venv" / "bin" / "cronwright").exists()
    assert (checkout / "cronwright.db").exists()
