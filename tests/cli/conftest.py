from __future__ import annotations

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
