"""The operator's retry defaults over HTTP: a new schedule that leaves its retry fields out (or
sends null) gets them, fields sent win, and a PATCH changes only what it sends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cronwright import domain
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread
from tests.component.api.conftest import STEPS, T0, fields_of, problem_of
from tests.conftest import fresh_database_url

BASE = "/api/v1/schedules"
OPERATOR = domain.RetryDefaults(
    max_attempts=7,
    backoff_initial=timedelta(seconds=30),
    backoff_factor=3.0,
    backoff_max=timedelta(hours=1),
)
OPERATORS = {
    "max_attempts": 7,
    "backoff_initial_seconds": 30,
    "backoff_factor": 3,
    "backoff_max_seconds": 3600,
}
BUILT_IN = {
    "max_attempts": 3,
    "backoff_initial_seconds": 5,
    "backoff_factor": 2,
    "backoff_max_seconds": 600,
}


class Editor:
    def __init__(self, client: httpx.Client, workflow_id: int) -> None:
        self.client = client
        self.workflow_id = workflow_id
        self._names = iter(range(1, 1000))

    def create(self, **fields: Any) -> dict[str, Any]:
        n = next(self._names)
        body = {"workflow_id": self.workflow_id, "name": f"s{n}", "cron": f"{n} 3 * * *"}
        response = self.client.post(BASE, json={**body, **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def retry_of(schedule: dict[str, Any]) -> dict[str, Any]:
    return {name: schedule[name] for name in OPERATORS}


@pytest.fixture
def editor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Editor]:
    url = fresh_database_url(request, "sqlite", tmp_path)
    container = Container.from_url(url, clock=FakeClock(T0), retry_defaults=OPERATOR)
    services = container.service
    org = services.organizations.create("acme")
    key = services.organizations.issue_api_key(org.id, name="editor", role=domain.Role.EDITOR)
    workflow = services.workflows.create(org.id, name="ping", definition=STEPS)
    headers = {"Authorization": f"Bearer {key.token}"}
    with (
        ServerThread(create_app(container)) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as client,
    ):
        yield Editor(client, workflow.id)
    container.close()


def test_a_schedule_without_retry_fields_gets_the_operators_defaults(editor: Editor) -> None:
    assert retry_of(editor.create()) == OPERATORS
    nulls = dict.fromkeys(OPERATORS)
    assert retry_of(editor.create(**nulls)) == OPERATORS  # null means "the default" too


def test_retry_fields_sent_win_even_when_they_equal_the_built_in_defaults(
    editor: Editor,
) -> None:
    assert retry_of(editor.create(**BUILT_IN)) == BUILT_IN
    some = editor.create(max_attempts=1, backoff_max_seconds=120)
    assert retry_of(some) == {**OPERATORS, "max_attempts": 1, "backoff_max_seconds": 120}


def test_a_sent_field_must_agree_with_the_defaults_it_is_combined_with(editor: Editor) -> None:
    # 10 s is below the operator's 30 s initial backoff: refused by name, not silently raised.
    response = editor.client.post(
        BASE,
        json={"workflow_id": editor.workflow_id, "name": "x", "cron": "0 4 * * *"}
        | {"backoff_max_seconds": 10},
    )
    assert fields_of(problem_of(response, 422)) == ["backoff_max"]


def test_a_patch_changes_only_what_it_sends(editor: Editor) -> None:
    created = editor.create(**BUILT_IN)
    url = f"{BASE}/{created['id']}"
    edited = editor.client.patch(url, json={"timeout_seconds": 60}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert retry_of(edited.json()) == BUILT_IN  # the operator's defaults do not creep in
    edited = editor.client.patch(url, json={"max_attempts": 4}, headers={"If-Match": '"2"'})
    assert retry_of(edited.json()) == {**BUILT_IN, "max_attempts": 4}
    refused = editor.client.patch(url, json={"max_attempts": None}, headers={"If-Match": '"3"'})
    assert "max_attempts must not be null" in problem_of(refused, 400)["detail"]  # not a reset
