"""The installed ``cronwright`` script through a real ``cronwright serve`` process: the admin
commands answer through its API as they do on its database file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.system.e2e.processes import BANNER, KEY, Process, environment, run

pytestmark = pytest.mark.slow
MOVING = {"next_fire_at", "next_fires"}  # the demo's schedules fire meanwhile


def steady(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: steady(v) for k, v in value.items() if k not in MOVING}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


def test_the_admin_commands_through_serve_answer_as_on_its_database(tmp_path: Path) -> None:
    process = Process(["serve", "--demo", "--port", "0"], cwd=tmp_path, env=environment())
    try:
        url = process.wait_for_output(BANNER).group(1)
        token = process.wait_for_output(KEY).group(1)
        through = environment(api_url=url, api_key=token)
        direct = environment(database_url=f"sqlite:///{tmp_path / 'cronwright.db'}")

        def both(*args: str) -> tuple[Any, Any]:
            remote = run([*args, "--json"], env=through, cwd=tmp_path)
            local = run([*args, "--org", "demo", "--json"], env=direct, cwd=tmp_path)
            assert remote.returncode == local.returncode == 0, (remote.stderr, local.stderr)
            return steady(json.loads(remote.stdout)), steady(json.loads(local.stdout))

        remote, local = both("schedules", "list")
        assert remote == local
        assert remote["items"], "the demo has schedules"
        first = str(remote["items"][0]["id"])
        assert both("schedules", "show", first)[0]["id"] == int(first)
        remote, local = both("templates", "list")
        assert remote == local

        refused = run(["org", "list"], env=through, cwd=tmp_path)
        assert (refused.returncode, refused.stdout) == (2, "")
        assert refused.stderr.startswith("error: `org list` works on the database only")
        wrong = run(
            ["schedules", "list"], env={**through, "CRONWRIGHT_API_KEY": "cw_x_y"}, cwd=tmp_path
        )
        assert (wrong.returncode, wrong.stderr) == (
            1,
            "error: invalid API key (401): check CRONWRIGHT_API_KEY (or --api-key)\n",
        )
    finally:
        process.stop()
