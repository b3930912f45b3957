"""Help that helps: --version, flags without a type label, and every flag that a CRONWRIGHT_*
variable also sets names that variable and its default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import metadata

import pytest
import typer
from typer.testing import CliRunner

from cronwright import settings
from cronwright.cli import app, options
from tests.component.cli.conftest import cronwright

runner = CliRunner()


def commands(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(group, "commands", {}).items():
        yield from commands(sub, (*path, name))


ALL = list(commands(typer.main.get_command(app)))


def help_of(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_version_prints_the_installed_version() -> None:
    done = cronwright("--version")
    assert (done.returncode, done.stdout) == (0, f"cronwright {metadata.version('cronwright')}\n")


@pytest.mark.parametrize("path", ALL, ids=lambda path: " ".join(path) or "cronwright")
def test_no_flag_is_labelled_with_a_type(path: tuple[str, ...]) -> None:
    assert "<bool>" not in help_of(path)


@pytest.mark.parametrize("role", ["serve", "scheduler", "worker", "api", "config"])
def test_each_flag_names_its_variable_and_default(role: str) -> None:
    shown = help_of((role,))
    flags = [flag for flag in options.FLAGS.items() if f" {flag[1]} " in shown]
    assert flags, shown
    for setting, flag in flags:
        line = next(line for line in shown.splitlines() if f" {flag} " in line)
        default = settings.shown_default(setting) or "off"
        assert f"({settings.env_name(setting)}; default {default})." in line, line


def test_serve_help_as_printed_by_the_script() -> None:
    done = cronwright("serve", "--help", env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0
    assert "Database URL (CRONWRIGHT_DATABASE_URL; default sqlite:///cronwright.db)." in (
        done.stdout
    )
    assert "Listen port (CRONWRIGHT_PORT; default 8080)." in done.stdout
