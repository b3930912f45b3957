"""``cronwright serve`` as a real process on SQLite: the demo fires, SIGTERM drains, a second
signal exits at once, a bad setting is one line and exit status 2."""

from __future__ import annotations

import json
import re
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.system.e2e.processes import (
    BANNER,
    KEY,
    Process,
    api_client,
    create_schedule,
    environment,
    run,
    runs,
    wait_until,
)

pytestmark = pytest.mark.slow


def start_serve(tmp_path: Path, **settings: str) -> tuple[Process, str, str]:
    """Start ``serve --demo`` on a free port; its URL and the demo admin key from its banner."""
    process = Process(
        ["serve", "--demo", "--port", "0"],
        cwd=tmp_path,
        env=environment(**{"shutdown_grace": "20s", **settings}),
    )
    url = process.wait_for_output(BANNER).group(1)
    token = process.wait_for_output(KEY).group(1)
    return process, url, token


def json_records(stderr: str) -> list[dict[str, Any]]:
    """Every line of a ``CRONWRIGHT_LOG_FORMAT=json`` process's stderr, parsed: each must be."""
    return [json.loads(line) for line in stderr.splitlines()]


def test_serve_demo_answers_and_its_schedules_produce_runs(tmp_path: Path) -> None:
    process, url, token = start_serve(tmp_path, log_format="json", stats_interval="1s")
    try:
        assert httpx.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        with api_client(url, token) as client:
            schedules = {s["name"]: s["id"] for s in client.get("/schedules").json()["items"]}
            assert set(schedules) == {"hello every 10 seconds", "health check every 15 seconds"}

            def both_ran() -> bool:
                done = {run["schedule_id"] for run in runs(client, state="succeeded")}
                return done == set(schedules.values())

            # The python steps, and the http step calling this very process's /healthz.
            wait_until(both_ran, 60, process.describe)
        metrics = httpx.get(f"{url}/metrics", timeout=10).text

        def stats_counted_them() -> bool:
            return any(
                r.get("event") == "stats" and r["runs"].get("succeeded", 0) >= 2
                for r in json_records(process.stderr)
            )

        wait_until(stats_counted_them, 30, process.describe)
        process.signal(signal.SIGINT)
        assert process.wait() == 0, process.describe()
    finally:
        process.stop()
    assert (tmp_path / "cronwright.db").exists()  # the default URL, relative to the directory
    lag_count = re.search(r"^cronwright_dispatch_lag_seconds_count (\S+)$", metrics, re.M)
    assert lag_count is not None
    assert float(lag_count.group(1)) >= 2
    assert 'cronwright_runs_finished_total{state="succeeded"}' in metrics
    # One line per run start and finish, with the run id, schedule, lag, duration and state.
    records = json_records(process.stderr)
    started = [r for r in records if r.get("event") == "run_started"]
    finished = [r for r in records if r.get("event") == "run_finished"]
    assert {r["schedule_id"] for r in finished if r["state"] == "succeeded"} == set(
        schedules.values()
    )
    assert {r["run_id"] for r in finished} <= {r["run_id"] for r in started}
    assert all(r["lag_seconds"] >= 0 and r["attempt"] == 1 for r in started)
    assert all(r["duration_seconds"] >= 0 for r in finished)
    stats = next(r for r in records if r.get("event") == "stats")
    assert stats["message"].startswith("stats: runs ")
    assert {"queue_depth", "active_runs", "lag_p95_seconds", "claims", "ticks"} <= set(stats)


def started_line(stderr: str, schedule_id: int) -> re.Match[str] | None:
    """The log line of the first start of a run of the schedule (its run id: group 1)."""
    return re.search(
        rf"run (\d+) started: schedule {schedule_id}, attempt 1, lag \d+\.\d+s", stderr
    )


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_drains_running_workflows_then_exits_0(tmp_path: Path, signame: str) -> None:
    process, url, token = start_serve(tmp_path)
    try:
        with api_client(url, token) as client:
            made = create_schedule(
                client,
                "slow job",
                "* * * * * *",
                [{"name": "work", "kind": "python", "config": {"function": "demo.sleep"}}],
                input={"seconds": 3},
                overlap="skip",
            )
            # Wait for the action itself: a run claimed ahead of its time is already
            # "running" in the API, and a signal before its start gives it back instead.
            started = wait_until(
                lambda: started_line(process.stderr, made["id"]), 60, process.describe
            )
            process.signal(getattr(signal, signame))
            assert process.wait(timeout=60) == 0, process.describe()
        assert f"received {signame}: draining" in process.stderr
        # The process is gone: read what became of the run from a fresh server on the same file.
        again, url, token = start_serve(tmp_path)
        try:
            with api_client(url, token) as client:
                run_after = client.get(f"/runs/{started[1]}").json()
        finally:
            again.signal(signal.SIGTERM)
            again.wait()
    finally:
        process.stop()
    assert run_after["state"] == "succeeded", run_after  # finished, not released or lost
    assert run_after["attempt"] == 1


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_second_signal_exits_at_once_with_128_plus_the_signal(
    tmp_path: Path, signame: str
) -> None:
    signum = getattr(signal, signame)
    process, url, token = start_serve(tmp_path, shutdown_grace="300s")
    try:
        with api_client(url, token) as client:
            made = create_schedule(
                client,
                "endless job",
                "* * * * * *",
                [{"name": "work", "kind": "python", "config": {"function": "demo.sleep"}}],
                input={"seconds": 600},
                overlap="skip",
            )
        # Its action started (a run claimed ahead is "running" before that, and a signal
        # then gives it back: the drain would end at once, before a second signal).
        wait_until(lambda: started_line(process.stderr, made["id"]), 60, process.describe)
        process.signal(signum)
        wait_until(lambda: "draining" in process.stderr, 30, process.describe)
        process.signal(signum)
        assert process.wait(timeout=30) == 128 + signum, process.describe()  # 143 or 130
    finally:
        process.stop()
    assert f"received {signame} again: exiting now" in process.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WORKER_CONCURRENCY", "0", "CRONWRIGHT_WORKER_CONCURRENCY: must be at least 1, got '0'"),
        ("LEASE", "soon", "CRONWRIGHT_LEASE: must be a duration"),
        ("LOG_FORMAT", "xml", "CRONWRIGHT_LOG_FORMAT: must be one of console or json, got 'xml'"),
        ("RETRY_BACKOFF_FACTOR", "0.5", "CRONWRIGHT_RETRY_BACKOFF_FACTOR: must be at least 1, got"),
        ("DATABASE_URL", "mysql://u:pw@db/x", "CRONWRIGHT_DATABASE_URL: must be a sqlite:///"),
    ],
)
def test_a_bad_environment_variable_is_one_line_and_exit_status_2(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    for command in (["serve"], ["worker"], ["config"]):
        done = run(command, env=environment(**{variable: value}), cwd=tmp_path)
        assert done.returncode == 2, done
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(f"cronwright: {message}"), done.stderr
        assert "pw" not in done.stderr  # a password in a URL is never echoed
    assert not (tmp_path / "cronwright.db").exists()  # refused before touching anything


def test_a_bad_flag_is_named_as_the_flag(tmp_path: Path) -> None:
    done = run(["worker", "--concurrency", "0"], env=environment(), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "cronwright: --concurrency: must be at least 1, got '0'\n",
    )


def test_cluster_roles_refuse_a_database_that_was_not_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    done = run(["scheduler"], env=environment(database_url=url), cwd=tmp_path)
    assert done.returncode == 1, done
    assert "run `cronwright db upgrade` first" in done.stderr


def test_config_prints_the_effective_settings_with_secrets_masked(tmp_path: Path) -> None:
    env = environment(
        database_url="postgresql://cron:s3cret@db.internal/cron",
        smtp_password="hunter2",
        worker_concurrency="12",
        lease="1m",
        retry_backoff_max="2h",
    )
    done = run(["config"], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = set(done.stdout.splitlines())
    assert {
        "CRONWRIGHT_DATABASE_URL=postgresql://cron:***@db.internal/cron",
        "CRONWRIGHT_SMTP_PASSWORD=***",
        "CRONWRIGHT_WORKER_CONCURRENCY=12",
        "CRONWRIGHT_LEASE=1m",
        "CRONWRIGHT_STATS_INTERVAL=5m",
        "CRONWRIGHT_RETRY_MAX_ATTEMPTS=3",
        "CRONWRIGHT_RETRY_BACKOFF_MAX=2h",
    } <= lines
    assert "s3cret" not in done.stdout
    assert "hunter2" not in done.stdout


def test_a_port_in_use_is_a_start_up_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(["serve", "--port", str(port)], env=environment(), cwd=tmp_path)
    assert done.returncode == 1, done
    assert f"cronwright: cannot listen on 127.0.0.1:{port}" in done.stderr


def test_an_unreachable_database_is_a_start_up_error(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://cron@127.0.0.1:{port}/cron"
    done = run(["worker"], env=environment(database_url=url), cwd=tmp_path)
    assert done.returncode == 1, done
    assert done.stderr == (
        f"cronwright: cannot connect to {url}: Connection refused; check that the server runs "
        "and that the URL (--url or CRONWRIGHT_DATABASE_URL) is right\n"
    )
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    ("allowed", "organizations", "status", "setting"),
    [
        ("false", "demo", 422, "CRONWRIGHT_SHELL_ACTIONS"),
        ("true", "", 422, "CRONWRIGHT_SHELL_ORGANIZATIONS"),
        ("true", "someone-else", 422, "CRONWRIGHT_SHELL_ORGANIZATIONS"),
        ("true", "demo", 201, ""),
    ],
)
def test_shell_steps_are_saved_only_when_the_operator_allows_them(
    tmp_path: Path, allowed: str, organizations: str, status: int, setting: str
) -> None:
    process, url, token = start_serve(
        tmp_path, shell_actions=allowed, shell_organizations=organizations
    )
    try:
        with api_client(url, token) as client:
            saved = client.post(
                "/workflows",
                json={
                    "name": "uptime",
                    "definition": {
                        "steps": [{"name": "up", "kind": "shell", "config": {"argv": ["uptime"]}}]
                    },
                },
            )
        assert saved.status_code == status, saved.text
        if status == 422:
            assert setting in saved.text
        process.signal(signal.SIGTERM)
        assert process.wait() == 0, process.describe()
    finally:
        process.stop()
