"""The files in deploy/ name commands and settings that exist (the Dockerfile is not built here)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright import settings
from cronwright.cli import app

DEPLOY = Path(__file__).parents[3] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
runner = CliRunner()


def exec_start(unit: Path) -> list[str]:
    [line] = [ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_every_role_has_a_unit() -> None:
    commands = {exec_start(unit)[1] for unit in UNITS}
    assert commands == {"serve", "scheduler", "worker", "api"}


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_units_run_a_real_command_with_the_environment_file(unit: Path) -> None:
    program, *args = exec_start(unit)
    assert program == "/opt/cronwright/bin/cronwright"
    assert runner.invoke(app, [*args, "--help"]).exit_code == 0
    text = unit.read_text()
    assert "EnvironmentFile=/etc/cronwright/cronwright.env" in text
    assert "RestartPreventExitStatus=2" in text  # a bad setting is not retried forever
    assert re.search(r"^User=cronwright$", text, re.MULTILINE)


def test_environment_file_sets_only_known_settings() -> None:
    lines = (DEPLOY / "cronwright.env").read_text().splitlines()
    assigned = dict(ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))
    known = {settings.ENV_PREFIX + name.upper() for name in settings.Settings.model_fields}
    assert set(assigned) <= known
    names = {name.removeprefix(settings.ENV_PREFIX).lower(): v for name, v in assigned.items()}
    settings.Settings.model_validate(names)  # every value is valid


def test_dockerfile_runs_serve_as_a_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("FROM ") == 1
    assert "FROM python:3.11-slim" in text
    assert "USER cronwright" in text
    [cmd] = [ln for ln in text.splitlines() if ln.startswith("CMD ")]
    assert json.loads(cmd.removeprefix("CMD ")) == ["cronwright", "serve"]
    assert "not built or run by ci" in text.lower()
