"""``App.schedule_template``: a schedule from a template, idempotent like ``App.schedule``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cronwright import App, errors
from cronwright.clock import FakeClock


@pytest.fixture
def app(tmp_path: Path, t0: datetime) -> Iterator[App]:
    built = App(f"sqlite:///{tmp_path / 'app.db'}", clock=FakeClock(t0))
    yield built
    built.close()


def test_a_template_call_twice_changes_nothing_and_a_changed_value_edits(app: App) -> None:
    values = {"ping_url": "https://hc.example.org/abc"}
    first = app.schedule_template("heartbeat", "dead-mans-switch-heartbeat", parameters=values)
    again = app.schedule_template("heartbeat", "dead-mans-switch-heartbeat", parameters=values)
    assert (again.id, again.version) == (first.id, 1)
    assert first.spec.cron == "*/5 * * * *"
    edited = app.schedule_template(
        "heartbeat", "dead-mans-switch-heartbeat", parameters={**values, "cron": "*/2 * * * *"}
    )
    assert (edited.id, edited.version, edited.spec.cron) == (first.id, 2, "*/2 * * * *")
    origin = app.templates.origin(app.organization.id, first.id)
    assert origin is not None
    assert origin.parameters["cron"] == "*/2 * * * *"
    workflow = app.service.workflows.get(app.organization.id, first.spec.workflow_id)
    assert workflow.definition.steps[0].config["url"] == "https://hc.example.org/abc"


def test_a_missing_parameter_is_named(app: App) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        app.schedule_template("heartbeat", "dead-mans-switch-heartbeat")
    assert caught.value.field == "parameters.ping_url"
