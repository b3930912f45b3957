"""Every config error of every kind, as the author sees it when saving: the field names the step's
config, the message names the key and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.component.actions.conftest import workflows_of
from tests.component.engine.conftest import Bench
from tests.conftest import fresh_database_url

from cronwright import actions, errors, service
from cronwright.api.container import Container

URL = "http://api.test/x"

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("http", {}, "url: Field required"),
    ("http", {"url": "ftp://x"}, "url: must start with http:// or https://"),
    (
        "http",
        {"url": URL, "method": "FETCH"},
        "method: Input should be 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE' or 'OPTIONS'",
    ),
    (
        "http",
        {"url": URL, "headers": {"bad name": "v"}},
        "headers: 'bad name' is not a header name",
    ),
    ("http", {"url": URL, "headers": {"A": 1}}, "headers.A: Input should be a valid string"),
    (
        "http",
        {"url": URL, "expect_status": [99]},
        "expect_status.0: Input should be greater than or equal to 100",
    ),
    ("http", {"url": URL, "timeout": 0}, "timeout: Input should be greater than 0"),
    ("http", {"url": URL, "body": {}}, "body: Extra inputs are not permitted"),
    ("shell", {}, "argv: Field required"),
    ("shell", {"argv": []}, "argv: List should have at least 1 item after validation, not 0"),
    ("shell", {"argv": [""]}, "argv: the program (argv[0]) is empty"),
    (
        "shell",
        {"argv": "ls -l"},
        'argv: must be a list of arguments (["ls", "-l"]): no shell parses a string',
    ),
    ("shell", {"argv": ["ls", 3]}, "argv.1: Input should be a valid string"),
    ("shell", {"argv": ["ls"], "cwd": 5}, "cwd: Input should be a valid string"),
    (
        "shell",
        {"argv": ["ls"], "env": {"A=B": "x"}},
        "env: 'A=B' is not a usable environment variable",
    ),
    ("shell", {"argv": ["ls"], "timeout": -1}, "timeout: Input should be greater than 0"),
    ("shell", {"argv": ["ls"], "command": "ls"}, "command: Extra inputs are not permitted"),
    ("trigger", {}, "workflow_id: Field required"),
    ("trigger", {"workflow_id": "1"}, "workflow_id: Input should be a valid integer"),
    ("trigger", {"workflow_id": 0}, "workflow_id: Input should be greater than or equal to 1"),
    ("trigger", {"workflow_id": 1, "input": []}, "input: Input should be a valid dictionary"),
    ("trigger", {"workflow_id": 1, "wait": True}, "wait: Extra inputs are not permitted"),
    ("python", {}, "function: Field required"),
    ("python", {"function": "os.system('x')"}, "function: String should match pattern"),
]


@pytest.mark.parametrize(("kind", "config", "message"), CASES)
def test_a_bad_config_is_refused_on_save_naming_the_key(
    bench: Bench, kind: str, config: dict[str, Any], message: str
) -> None:
    definition = {
        "steps": [
            {"name": "ok", "kind": "python", "config": {"function": "f"}},
            {"name": "bad", "kind": kind, "config": config},
        ]
    }
    with pytest.raises(errors.InvalidInput) as raised:
        workflows_of(bench).create(bench.org.id, name="w", definition=definition)
    assert raised.value.field == "definition.steps[1].config"
    assert raised.value.message.startswith(message)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"timeout": 0}, "timeout", "must be seconds, more than 0, up to 86400"),
        ({"timeout": "5s"}, "timeout", "must be seconds, more than 0, up to 86400"),
        ({"retries": 11}, "retries", "must be a whole number from 0 to 10"),
        ({"retries": True}, "retries", "must be a whole number from 0 to 10"),
    ],
)
def test_bad_step_timeouts_and_retries_are_refused(
    bench: Bench, extra: dict[str, Any], field: str, message: str
) -> None:
    step = {"name": "s", "kind": "python", "config": {"function": "f"}, **extra}
    with pytest.raises(errors.InvalidInput) as raised:
        workflows_of(bench).create(bench.org.id, name="w", definition={"steps": [step]})
    assert (raised.value.field, raised.value.message) == (f"definition.steps[0].{field}", message)


def test_step_timeouts_and_retries_are_kept(bench: Bench) -> None:
    step = {
        "name": "s",
        "kind": "python",
        "config": {"function": "f"},
        "timeout": 2.5,
        "retries": 2,
    }
    saved = workflows_of(bench).create(bench.org.id, name="w", definition={"steps": [step]})
    again = workflows_of(bench).get(bench.org.id, saved.id)
    assert again.definition.to_json() == {"steps": [{**step, "depends_on": []}]}


def test_a_shell_step_is_refused_on_save_when_the_operator_has_not_allowed_it(
    bench: Bench,
) -> None:
    registry = actions.default_registry(actions.PythonFunctions())
    actions.install_default_actions(registry, allow_shell=False, trigger_port=None)
    workflows = service.Service.build(
        bench.store, bench.clock, check_config=registry.check_config
    ).workflows
    definition = {"steps": [{"name": "ls", "kind": "shell", "config": {"argv": ["ls"]}}]}
    with pytest.raises(errors.InvalidInput) as raised:
        workflows.create(bench.org.id, name="w", definition=definition)
    assert raised.value.message == (
        "shell steps are disabled by the operator (CRONWRIGHT_SHELL_ACTIONS)"
    )


def test_a_reference_to_a_step_that_is_not_upstream_is_refused_on_save(bench: Bench) -> None:
    definition = {
        "steps": [
            {"name": "fetch", "kind": "http", "config": {"url": URL}},
            {"name": "post", "kind": "http", "config": {"url": "{{ steps.fetch.output.body }}"}},
        ]
    }
    with pytest.raises(errors.InvalidInput) as raised:
        workflows_of(bench).create(bench.org.id, name="w", definition=definition)
    assert raised.value.field == "definition.steps[1].config"
    assert raised.value.message == (
        "url: {{ steps.fetch.output.body }} reads step 'fetch': not among its depends_on "
        "(directly or through other steps)"
    )


def test_an_api_process_checks_every_kind_without_running_anything(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    container = Container.from_url(
        fresh_database_url(request, "sqlite", tmp_path),
        check_config=actions.config_checker(allow_shell=False),
    )
    try:
        workflows = container.service.workflows
        org = container.service.organizations.create("acme")
        for kind, config, message in [
            ("http", {}, "url: Field required"),
            ("trigger", {"workflow_id": "x"}, "workflow_id: Input should be a valid integer"),
            ("shell", {"argv": ["ls"]}, "shell steps are disabled by the operator"),
        ]:
            definition = {"steps": [{"name": "s", "kind": kind, "config": config}]}
            with pytest.raises(errors.InvalidInput, match=re.escape(message)):
                workflows.create(org.id, name="w", definition=definition)
        # Python functions live in the workers: here only the name's form is checked.
        good = {"steps": [{"name": "s", "kind": "python", "config": {"function": "report"}}]}
        assert workflows.create(org.id, name="w", definition=good).version == 1
    finally:
        container.close()
