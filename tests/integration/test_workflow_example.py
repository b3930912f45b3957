"""The worked example of docs/workflows.md, run as written: a subprocess whose workflow calls an
HTTP server on 127.0.0.1, passes the answer to a Python step and posts the result back."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from tests.actions.conftest import Server

DOC = Path(__file__).parents[2] / "docs" / "workflows.md"


def example_script() -> str:
    worked = DOC.read_text().split("## Worked example", 1)[1]
    found = re.search(r"```python\n(.*?)```", worked, re.DOTALL)
    assert found is not None, "the worked example has no python block"
    return found.group(1)


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    if not database.exists():
        return []
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    except sa.exc.OperationalError:  # tables not created yet
        return []
    finally:
        engine.dispose()


def test_the_worked_example_calls_the_api_greets_and_posts_back(tmp_path: Path) -> None:
    server = Server(
        {
            ("GET", "/customers/42"): (200, {"id": 42, "name": "Ada"}),
            ("POST", "/greetings"): (201, {"ok": True}),
        }
    ).start()
    script = tmp_path / "example.py"
    script.write_text(example_script())
    database = tmp_path / "customers.db"
    child = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "CUSTOMERS_API": server.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    succeeded = "SELECT id FROM runs WHERE state = 'succeeded' ORDER BY id"
    try:
        deadline = time.monotonic() + 60
        while not query(database, succeeded) and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        server.stop()
    assert child.returncode == 0, stderr
    assert "Hello, Ada!" in stdout
    [(run_id,), *_] = query(database, succeeded)
    steps = query(
        database, f"SELECT name, state FROM run_steps WHERE run_id = {run_id} ORDER BY id"
    )
    assert sorted(steps) == [
        ("fetch", "succeeded"),
        ("greet", "succeeded"),
        ("notify", "succeeded"),
    ]
    posted = [r["json"] for r in server.requests if r["method"] == "POST"]
    assert posted[0] == {"customer": 42, "text": "Hello, Ada!"}
