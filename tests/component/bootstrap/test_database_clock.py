"""On PostgreSQL every process tells time by the database, whatever its host's clock says: the
App's workers and the admin CLI write the database's instants even on a host 60 s behind."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import fresh_database_url
from typer.testing import CliRunner

from cronwright import App, domain
from cronwright.cli import app as cli_app
from cronwright.clock import SystemClock
from cronwright.service import triggers
from cronwright.store.database import database_clock as db_clock
from cronwright.store.database import dialect
from cronwright.store.slots import slot_ledger

pytestmark = pytest.mark.postgres
SKEW = timedelta(seconds=-60)
TOLERANCE = timedelta(seconds=20)  # a generous bound for a slow machine; the skew is 60 s


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request, "postgres", tmp_path)


@pytest.fixture
def host_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """This host's wall clock runs 60 s behind (the database's does not)."""
    real = SystemClock.now
    monkeypatch.setattr(SystemClock, "now", lambda self: real(self) + SKEW)


def _database_now(url: str) -> datetime:
    engine = dialect.create_engine(url)
    try:
        return db_clock.read_database_now(engine)
    finally:
        engine.dispose()


def test_an_app_on_a_host_behind_leases_runs_on_the_database_clock(
    pg_url: str, host_behind: None
) -> None:
    app = App(pg_url, poll_interval=timedelta(milliseconds=50))
    app.action("job")(lambda ctx: "done")
    schedule = app.schedule("job", "0 0 1 1 *", action="job")
    run = triggers.Triggers(
        app.store, slot_ledger.SqlSlotLedger(app.store.engine), app.root.clock()
    ).trigger_now(app.organization.id, schedule.id)
    app.start()
    try:
        pause = threading.Event()
        for _ in range(400):
            if app.store.get_run(app.organization.id, run.id).state.is_terminal:
                break
            pause.wait(0.05)
    finally:
        app.stop()
    ended = app.store.get_run(app.organization.id, run.id)
    app.close()
    now = _database_now(pg_url)
    assert ended.state is domain.RunState.SUCCEEDED
    assert ended.started_at is not None
    assert ended.finished_at is not None
    assert abs(ended.started_at - now) < TOLERANCE
    assert abs(ended.finished_at - now) < TOLERANCE
    assert abs(ended.created_at - now) < TOLERANCE


def test_the_cli_on_a_host_behind_writes_the_database_clock(pg_url: str, host_behind: None) -> None:
    result = CliRunner().invoke(cli_app, ["org", "create", "acme", "--url", pg_url, "--json"])
    assert result.exit_code == 0, result.output
    now = _database_now(pg_url)
    created_at = datetime.fromisoformat(json.loads(result.stdout)["created_at"])
    assert abs(created_at.astimezone(UTC) - now) < TOLERANCE
