"""The worked example of docs/workflows.md, run as written: a subprocess whose workflow calls an
HTTP server on 127.0.0.1, passes the answer to a Python step and posts the result back; and, with
that API failing, alerts a webhook on the same server, signed as docs/alerts.md says."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from tests.component.actions.conftest import Server

DOC = Path(__file__).parents[3] / "docs" / "workflows.md"


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


def run_example(
    tmp_path: Path, server: Server, done: Callable[[], bool], env: dict[str, str]
) -> tuple[str, str]:
    """Run the example until ``done()``, then stop it with SIGINT; its output."""
    script = tmp_path / "example.py"
    script.write_text(example_script())
    child = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "CUSTOMERS_API": server.url, "OUTBOUND_ALLOW": "127.0.0.1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not done() and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        server.stop()
    assert child.returncode == 0, stderr
    return stdout, stderr


def test_the_worked_example_alerts_its_webhook_when_the_api_fails(tmp_path: Path) -> None:
    secret = "a-secret-of-at-least-16-characters"
    server = Server({("GET", "/customers/42"): (503, {"error": "down"})}).start()

    def hook_requests() -> list[dict[str, object]]:
        return [r for r in list(server.requests) if r["path"] == "/hook"]

    run_example(
        tmp_path,
        server,
        lambda: bool(hook_requests()),
        {"ALERT_HOOK": f"{server.url}/hook", "ALERT_SECRET": secret},
    )
    [alert, *_] = hook_requests()
    body, headers = str(alert["body"]), alert["headers"]
    assert isinstance(headers, dict)
    # What a receiver does (docs/alerts.md): HMAC over "<timestamp>." + the raw body.
    fields = dict(part.split("=", 1) for part in headers["x-cronwright-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.{body}".encode(), hashlib.sha256)
    assert hmac.compare_digest(expected.hexdigest(), fields["v1"])
    assert fields["t"] == headers["x-cronwright-timestamp"]
    payload = alert["json"]
    assert isinstance(payload, dict)
    assert payload["event"] == "run_failed"
    database = tmp_path / "customers.db"
    [(state, attempt)] = query(
        database, f"SELECT state, attempt FROM runs WHERE id = {payload['run_id']}"
    )
    assert (state, attempt) == ("failed", 3)
    steps = query(
        database,
        f"SELECT name, state FROM run_steps WHERE run_id = {payload['run_id']} AND attempt = 3",
    )
    assert sorted(steps) == [("fetch", "failed"), ("greet", "skipped"), ("notify", "skipped")]


def test_the_worked_example_calls_the_api_greets_and_posts_back(tmp_path: Path) -> None:
    server = Server(
        {
            ("GET", "/customers/42"): (200, {"id": 42, "name": "Ada"}),
            ("POST", "/greetings"): (201, {"ok": True}),
        }
    ).start()
    database = tmp_path / "customers.db"
    succeeded = "SELECT id FROM runs WHERE state = 'succeeded' ORDER BY id"
    hook = {"ALERT_HOOK": f"{server.url}/hook"}
    stdout, _ = run_example(tmp_path, server, lambda: bool(query(database, succeeded)), hook)
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
    assert not [r for r in server.requests if r["path"] == "/hook"]  # nothing failed: no alert


def test_the_worked_example_is_safe_to_run_twice(tmp_path: Path) -> None:
    routes = {
        ("GET", "/customers/42"): (200, {"id": 42, "name": "Ada"}),
        ("POST", "/greetings"): (201, {"ok": True}),
    }
    database = tmp_path / "customers.db"
    succeeded = "SELECT id FROM runs WHERE state = 'succeeded' ORDER BY id"
    for _ in range(2):
        before = len(query(database, succeeded))
        server = Server(routes).start()
        stdout, _ = run_example(
            tmp_path,
            server,
            lambda before=before: len(query(database, succeeded)) > before,  # type: ignore[misc]
            {"ALERT_HOOK": f"{server.url}/hook"},
        )
        assert "Hello, Ada!" in stdout
    live = "WHERE deleted_at IS NULL"
    assert query(database, f"SELECT name FROM workflows {live}") == [("greet a customer",)]
    assert query(database, f"SELECT name FROM schedules {live}") == [("greet customer 42",)]
    assert query(database, "SELECT name FROM alert_channels") == [("on-call",)]
