"""The README example, run as written: a subprocess that schedules a function, runs it, and
exits 0 on SIGINT."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

EXAMPLE = Path(__file__).parents[3] / "examples" / "hello_app.py"


def succeeded_runs(database: Path) -> int:
    if not database.exists():
        return 0
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text("SELECT count(*) FROM runs WHERE state = 'succeeded'")
                ).scalar_one()
            )
    except sa.exc.OperationalError:  # tables not created yet
        return 0
    finally:
        engine.dispose()


def test_the_hello_app_example_runs_its_action_and_stops_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "hello_app.py"
    shutil.copyfile(EXAMPLE, script)
    child = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while succeeded_runs(tmp_path / "hello.db") == 0 and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, stderr
    assert "hello, world (run 1, attempt 1)" in stdout
    assert succeeded_runs(tmp_path / "hello.db") >= 1
