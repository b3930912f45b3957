"""``serve`` tells a newcomer where the dashboard is and how to sign in: with the demo's key, or,
on an empty database, by making an organization and a key with the commands it prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.system.e2e.processes import BANNER, KEY, Process, api_client, environment, run

pytestmark = pytest.mark.slow


def banner(process: Process) -> list[str]:
    """The lines of stdout up to the Ctrl-C hint, which ends the banner."""
    process.wait_for_output(re.compile(r"^Ctrl-C stops gracefully", re.MULTILINE))
    lines = process.stdout.splitlines()
    return lines[: lines.index("Ctrl-C stops gracefully (twice: at once)") + 1]


def test_the_demo_banner_names_the_dashboard_and_its_key(tmp_path: Path) -> None:
    process = Process(["serve", "--demo", "--port", "0"], cwd=tmp_path, env=environment())
    try:
        url = process.wait_for_output(BANNER).group(1)
        token = process.wait_for_output(KEY).group(1)
        assert banner(process) == [
            f"cronwright serve: {url}",
            f"  dashboard: {url}/ui   API docs: {url}/api/v1/docs",
            'demo organization "demo", schedules: hello every 10 seconds, '
            "health check every 15 seconds",
            f"admin API key (shown once): {token}",
            f"  sign in with this key at {url}/ui",
            f'  curl -H "Authorization: Bearer {token}" {url}/api/v1/runs',
            "Ctrl-C stops gracefully (twice: at once)",
        ]
        assert "Sign in" in httpx.get(f"{url}/ui/signin", timeout=10).text
    finally:
        process.stop()


def test_an_empty_database_says_how_to_make_your_own_organization(tmp_path: Path) -> None:
    env = environment()
    process = Process(["serve", "--port", "0"], cwd=tmp_path, env=env)
    try:
        url = process.wait_for_output(BANNER).group(1)
        lines = banner(process)
        assert lines == [
            f"cronwright serve: {url}",
            f"  dashboard: {url}/ui   API docs: {url}/api/v1/docs",
            "no organization yet: make yours and an admin API key to sign in with",
            "  cronwright org create acme",
            "  cronwright apikey create --org acme --name me --role admin",
            "  (or try everything at once with: cronwright serve --demo)",
            "Ctrl-C stops gracefully (twice: at once)",
        ]
        # The printed commands, as printed, give a key the running server takes.
        created = run(lines[3].split()[1:], env=env, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        issued = run([*lines[4].split()[1:], "--json"], env=env, cwd=tmp_path)
        assert issued.returncode == 0, issued.stderr
        token = json.loads(issued.stdout)["token"]
        with api_client(url, token) as client:
            assert client.get("/schedules").json()["items"] == []
    finally:
        process.stop()


def test_a_database_with_an_organization_prints_no_first_steps(tmp_path: Path) -> None:
    env = environment()
    assert run(["db", "upgrade"], env=env, cwd=tmp_path).returncode == 0
    assert run(["org", "create", "acme"], env=env, cwd=tmp_path).returncode == 0
    process = Process(["serve", "--port", "0"], cwd=tmp_path, env=env)
    try:
        url = process.wait_for_output(BANNER).group(1)
        assert banner(process) == [
            f"cronwright serve: {url}",
            f"  dashboard: {url}/ui   API docs: {url}/api/v1/docs",
            "Ctrl-C stops gracefully (twice: at once)",
        ]
    finally:
        process.stop()
