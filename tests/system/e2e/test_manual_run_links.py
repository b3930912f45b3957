"""A run triggered by hand is linked to its schedule in the API, the command line and the
dashboard, as a person using each would see it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.component.security.edge import csrf_of, same_origin
from tests.system.e2e.processes import BANNER, KEY, Process, api_client, environment, run

pytestmark = pytest.mark.slow


def test_a_manual_run_names_its_schedule_everywhere(tmp_path: Path) -> None:
    env = environment()
    process = Process(["serve", "--demo", "--port", "0"], cwd=tmp_path, env=env)
    try:
        url = process.wait_for_output(BANNER).group(1)
        token = process.wait_for_output(KEY).group(1)
        with api_client(url, token) as client:
            schedule = client.get("/schedules").json()["items"][0]
            triggered = client.post(f"/schedules/{schedule['id']}/trigger", json={})
            assert triggered.status_code in (201, 202), triggered.text
            run_id = triggered.json()["id"]
            assert triggered.json()["schedule_id"] == schedule["id"]
            assert client.get(f"/runs/{run_id}").json()["schedule_id"] == schedule["id"]
            listed = client.get("/runs", params={"trigger": "manual"}).json()["items"]
            assert [(r["id"], r["schedule_id"]) for r in listed] == [(run_id, schedule["id"])]

        shown = run(["runs", "show", str(run_id), "--org", "demo", "--json"], env=env, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["schedule_id"] == schedule["id"]

        with httpx.Client(base_url=url, timeout=10) as browser:
            form = browser.get("/ui/signin")
            signed_in = browser.post(
                "/ui/signin",
                data={"api_key": token, "csrf": csrf_of(form)},
                headers=same_origin(url),
            )
            assert signed_in.status_code == 303, signed_in.text
            page = browser.get(f"/ui/runs/{run_id}")
            assert page.status_code == 200
            assert f'/schedules/{schedule["id"]}">{schedule["name"]}</a>' in page.text
    finally:
        process.stop()
