"""``cronwright apply`` as a person runs it: every error of a file in one run, a suggestion for
a misspelt key, value or zone, and TOML files read as such."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.component.cli.conftest import cronwright


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRONWRIGHT_")}
    env = {**clean, "CRONWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cw.db'}"}
    assert cronwright("db", "upgrade", env=env).returncode == 0
    return env


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


SIX_ERRORS = """\
organization: acme
workflows:
  - name: report
    steps: [{name: fetch, kind: http, config: {url: "https://example.org"}}]
  - name: broken
    stesp: []
schedules:
  - name: nightly
    workflow: report
    crn: "0 3 * * *"
  - name: hourly
    workflow: report
    cron: "0 * * * *"
    timezone: Europe/Berln
  - name: often
    workflow: report
    cron: "*/5 * * * *"
    overlap: skp
  - name: never
    workflow: report
    cron: "0 0 30 2 *"
  - name: orphan
    workflow: reprot
    cron: "0 1 * * *"
"""


def test_every_error_of_a_file_is_reported_in_one_run(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, "acme.yaml", SIX_ERRORS)
    done = cronwright("apply", str(path), env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {path}:6: workflows[1].stesp: unknown field 'stesp'; did you mean 'steps'?",
        f"error: {path}:10: schedules[0].crn: unknown field 'crn'; did you mean 'cron'?",
        f"error: {path}:14: schedules[1].timezone: unknown time zone 'Europe/Berln'; "
        "did you mean 'Europe/Berlin'?",
        f"error: {path}:18: schedules[2].overlap: 'skp' is not one of allow, skip, buffer_one, "
        "buffer_all, cancel_previous; did you mean 'skip'?",
        f"error: {path}:21: schedules[3].cron: '0 0 30 2 *' never fires",
        f"error: {path}:23: schedules[4].workflow: no workflow named 'reprot' in the file or "
        "the organization; did you mean 'report'?",
        f"error: 6 errors in {path}; nothing was written",
    ]
    listed = cronwright("org", "list", "--json", env=env)
    assert json.loads(listed.stdout) == []


ACME_TOML = """\
organization = "acme"

[[workflows]]
name = "report"
steps = [{name = "fetch", kind = "http", config = {url = "https://example.org"}}]

[[schedules]]
name = "nightly"
workflow = "report"
cron = "0 3 * * *"
timezone = "Europe/Berlin"
misfire_grace = "5m"
"""


def test_a_toml_file_is_applied(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, "acme.toml", ACME_TOML)
    done = cronwright("apply", str(path), env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[:3] == [
        '+ organization "acme"',
        '+ workflow "report"',
        '+ schedule "nightly"',
    ]
    again = cronwright("apply", str(path), env=env)
    assert again.stdout == 'organization "acme" already matches the file\n'


def test_a_toml_syntax_error_names_its_line(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, "acme.toml", ACME_TOML.replace('cron = "0 3 * * *"', "cron = 0 3"))
    done = cronwright("apply", str(path), env=env)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {path}:10: Expected newline or end of document after a statement\n",
    )


def test_toml_under_another_name_is_told_which_formats_are_read(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = write(tmp_path, "acme.conf", ACME_TOML)
    done = cronwright("apply", str(path), env=env)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {path}:1: the file must hold a mapping with 'organization' at the top "
        "(YAML or JSON; TOML when the file name ends in .toml)\n",
    )
