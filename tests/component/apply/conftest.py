from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import fresh_database_url


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Apply's rules do not depend on the backend; most tests check them on SQLite only."""
    return fresh_database_url(request, "sqlite", tmp_path)
