"""``cronwright cron``: the installed script as a subprocess, and Typer's runner for the details."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright.cli import app
from cronwright.cli import cron as cron_cli
from cronwright.clock import FakeClock

runner = CliRunner()


def cronwright_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m cronwright``."""
    script = shutil.which("cronwright", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "cronwright"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cronwright_command(), *args], capture_output=True, text=True, timeout=60, check=False
    )


# -- the real script ------------------------------------------------------------------------------


def test_script_describes_and_lists_fire_times() -> None:
    done = run("cron", "0 9 * * MON-FRI", "--tz", "America/New_York", "--after", "2026-11-27T07:00")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        "0 9 * * MON-FRI",
        "At 09:00, Monday through Friday",
        "Next 10 fire times after Fri 2026-11-27 07:00 EST in America/New_York:",
    ]
    assert "Fri 2026-11-27 09:00 EST" in done.stdout
    assert "2026-11-27 14:00" in done.stdout  # the same instant in UTC
    assert "Mon 2026-11-30 09:00 EST" in done.stdout


def test_script_json_is_machine_readable() -> None:
    done = run("cron", "*/30 * * * *", "--after", "2026-01-01T00:00Z", "--count", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "expression": "*/30 * * * *",
        "valid": True,
        "description": "Every 30 minutes",
        "timezone": "UTC",
        "fire_times": [
            {"at": "2026-01-01T00:30:00+00:00", "local": "2026-01-01T00:30:00+00:00", "dst": None},
            {"at": "2026-01-01T01:00:00+00:00", "local": "2026-01-01T01:00:00+00:00", "dst": None},
        ],
    }


def test_script_points_at_a_syntax_error_and_exits_2() -> None:
    done = run("cron", "0 25 * * *")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "  0 25 * * *",
        "    ^^",
        "error: hour: 25 is out of range 0-23 (column 3)",
    ]


def test_script_runs_as_a_module_too() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cronwright", "cron", "@daily", "--after", "2026-01-01", "-n", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "At 00:00" in done.stdout


# -- details, in process --------------------------------------------------------------------------


def test_now_comes_from_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(cron_cli, "make_clock", lambda: FakeClock(now))
    result = runner.invoke(app, ["cron", "0 0 * * *", "--json", "-n", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fire_times"][0]["at"] == "2030-06-02T00:00:00+00:00"


def test_naive_after_is_read_in_the_zone() -> None:
    result = runner.invoke(
        app, ["cron", "0 12 * * *", "--tz", "Asia/Tokyo", "--after", "2026-01-01T11:00", "--json"]
    )
    fire = json.loads(result.stdout)["fire_times"][0]
    assert fire == {
        "at": "2026-01-01T03:00:00+00:00",
        "local": "2026-01-01T12:00:00+09:00",
        "dst": None,
    }


def test_spring_forward_gap_is_marked_shifted() -> None:
    # Europe/Berlin 2025-03-30: 01:59:59+01:00 is followed by 03:00:00+02:00.
    args = ["cron", "30 2 * * *", "--tz", "Europe/Berlin", "--after", "2025-03-29T12:00", "-n", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    shifted = next(line for line in result.stdout.splitlines() if "shifted" in line)
    assert "Sun 2025-03-30 03:00 CEST" in shifted
    assert "2025-03-30 01:00" in shifted
    assert "shifted: 02:30 does not exist" in shifted
    fires = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["fire_times"]
    assert [(f["local"], f["dst"]) for f in fires] == [
        ("2025-03-30T03:00:00+02:00", "shifted"),
        ("2025-03-31T02:30:00+02:00", None),
    ]


def test_fall_back_fold_marks_both_occurrences() -> None:
    # America/New_York 2025-11-02: 01:59:59-04:00 is followed by 01:00:00-05:00.
    args = ["cron", "*/30 1 * * *", "--tz", "America/New_York", "--after", "2025-11-02T00:00"]
    result = runner.invoke(app, [*args, "-n", "5", "--json"])
    fires = json.loads(result.stdout)["fire_times"]
    assert [(f["local"], f["dst"]) for f in fires] == [
        ("2025-11-02T01:00:00-04:00", "first occurrence"),
        ("2025-11-02T01:30:00-04:00", "first occurrence"),
        ("2025-11-02T01:00:00-05:00", "second occurrence"),
        ("2025-11-02T01:30:00-05:00", "second occurrence"),
        ("2025-11-03T01:00:00-05:00", None),
    ]
    table = runner.invoke(app, [*args, "-n", "4"]).stdout
    assert table.count("first occurrence") == 2
    assert table.count("second occurrence") == 2


def test_seconds_are_shown_when_asked_or_needed() -> None:
    after = ["--after", "2026-01-01T00:00Z", "-n", "2"]
    assert "00:00:30" in runner.invoke(app, ["cron", "30 * * * * *", *after]).stdout
    plain = runner.invoke(app, ["cron", "0 9 * * *", *after]).stdout
    assert "09:00:00" not in plain
    assert "09:00:00" in runner.invoke(app, ["cron", "0 9 * * *", *after, "--seconds"]).stdout


def test_syntax_error_as_json() -> None:
    result = runner.invoke(app, ["cron", "0 9 * * MON-FRU", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "expression": "0 9 * * MON-FRU",
        "valid": False,
        "error": {
            "field": "day of week",
            "column": 13,
            "token": "FRU",
            "message": "unknown name 'FRU'; expected SUN-SAT or a number",
        },
    }


def test_unknown_zone_is_one_line_and_exit_2() -> None:
    result = runner.invoke(app, ["cron", "0 9 * * *", "--tz", "Mars/Olympus_Mons"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: timezone: unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as "
        "Europe/Berlin"
    ]
    as_json = runner.invoke(app, ["cron", "0 9 * * *", "--tz", "../etc/passwd", "--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["field"] == "timezone"


def test_bad_after_is_refused() -> None:
    result = runner.invoke(app, ["cron", "0 9 * * *", "--after", "next tuesday"])
    assert result.exit_code == 2
    assert "error: after: 'next tuesday' is not an ISO-8601 date and time" in result.stderr


def test_expression_that_never_fires_says_it_cannot_be_saved_and_exits_1() -> None:
    result = run("cron", "0 0 30 2 *", "--after", "2026-01-01")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "0 0 30 2 *",
        "At 00:00 on day 30 of the month in February",
        "It never fires after Thu 2026-01-01 00:00 UTC in UTC: cronwright apply and the API "
        "refuse to save it.",
    ]
    as_json = runner.invoke(app, ["cron", "0 0 30 2 *", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["valid"] is True
    assert json.loads(as_json.stdout)["fire_times"] == []


def test_hash_key_resolves_h_the_same_way_every_time() -> None:
    args = ["cron", "H H * * *", "--after", "2026-01-01T00:00Z", "--json", "--hash-key", "job-7"]
    first, second = (json.loads(runner.invoke(app, args).stdout) for _ in range(2))
    assert first == second
    assert first["description"] == first["description"].replace("H", "")  # resolved, not "H"


def test_count_is_bounded() -> None:
    assert runner.invoke(app, ["cron", "* * * * *", "--count", "0"]).exit_code == 2
