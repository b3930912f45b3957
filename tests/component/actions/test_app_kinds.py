"""``cronwright.App`` installs every kind; shell only when the operator allows it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from cronwright import App, errors
from cronwright.clock import FakeClock

SHELL = {"steps": [{"name": "ls", "kind": "shell", "config": {"argv": ["ls"]}}]}


def test_the_app_installs_every_kind_and_refuses_shell_by_default(
    tmp_path: Path, t0: datetime
) -> None:
    app = App(f"sqlite:///{tmp_path / 'app.db'}", clock=FakeClock(t0))
    try:
        assert app.registry.kinds == {"python", "http", "celery", "shell", "trigger"}
        with pytest.raises(errors.InvalidInput, match="shell steps are disabled by the operator"):
            app.service.workflows.create(app.organization.id, name="ls", definition=SHELL)
    finally:
        app.close()


def test_an_app_allowed_to_run_shell_saves_shell_steps(tmp_path: Path, t0: datetime) -> None:
    app = App(f"sqlite:///{tmp_path / 'app.db'}", clock=FakeClock(t0), allow_shell=True)
    try:
        saved = app.service.workflows.create(app.organization.id, name="ls", definition=SHELL)
        assert [step.kind for step in saved.definition.steps] == ["shell"]
    finally:
        app.close()
