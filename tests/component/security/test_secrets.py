"""Secret values are write-only: stored and used, never shown back to anyone, viewers first.
Header values of ``http`` steps (all but a few descriptive ones), URL passwords, shell ``env``
values and webhook signing keys read ``***``; an update that keeps ``***`` keeps the secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cronwright import actions, domain
from cronwright.actions import secret_values
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog
from tests.component.actions.conftest import Server
from tests.component.engine.conftest import Bench
from tests.component.security.conftest import T0, V1, Org, SecuredApi
from tests.component.security.edge import csrf_of, same_origin
from tests.conftest import LOCAL_OUTBOUND, fresh_database_url

HEADERS = {
    "Authorization": "Bearer tok-4f1c9a-authorization",
    "Cookie": "session=tok-77aa-cookie",
    "X-Api-Key": "tok-key-0d3e",
    "Proxy-Authorization": "Basic tok-proxy-9911",
    "X-Tenant-Token": "tok-custom-5a5a",  # a header of its own: secret without being named
}
URL_PASSWORD = "tok-url-password-31"
SIGNING_KEY = "tok-signing-key-0123456789abcdef"
SECRET_VALUES = [*HEADERS.values(), URL_PASSWORD, SIGNING_KEY]


def step(
    url: str = f"https://svc:{URL_PASSWORD}@api.example.org/v1/report", **headers: str
) -> dict[str, Any]:
    return {
        "name": "call",
        "kind": "http",
        "config": {"url": url, "headers": headers or {**HEADERS, "Content-Type": "text/csv"}},
    }


def leaks(text: str) -> list[str]:
    return [value for value in SECRET_VALUES if value in text]


def create_workflow(org: Org, *steps: dict[str, Any]) -> dict[str, Any]:
    response = org.editor.post(
        f"{V1}/workflows", json={"name": "report", "definition": {"steps": list(steps)}}
    )
    assert response.status_code == 201, response.text
    assert leaks(response.text) == []  # not even to the editor who just wrote them
    created: dict[str, Any] = response.json()
    return created


def stored_config(api: SecuredApi, org: Org, workflow_id: int) -> dict[str, Any]:
    found = api.service.workflows.get(org.org.id, domain.WorkflowId(workflow_id))
    return dict(found.definition.steps[0].config)


def test_a_viewer_reads_no_header_value_or_url_password(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    created = create_workflow(org, step())
    listed = org.viewer.get(f"{V1}/workflows")
    one = org.viewer.get(f"{V1}/workflows/{created['id']}")
    for response in (listed, one):
        assert response.status_code == 200, response.text
        assert leaks(response.text) == []
    config = one.json()["definition"]["steps"][0]["config"]
    assert config["headers"] == dict.fromkeys(HEADERS, "***") | {"Content-Type": "text/csv"}
    assert config["url"] == "https://svc:***@api.example.org/v1/report"
    # Stored as given, for the step to use.
    assert (
        stored_config(strict_api, org, created["id"])["headers"]["Authorization"]
        == (HEADERS["Authorization"])
    )


def test_the_dashboard_shows_a_viewer_no_secret(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    created = create_workflow(org, step())
    schedule = org.editor.post(
        f"{V1}/schedules",
        json={"workflow_id": created["id"], "name": "nightly", "cron": "0 3 * * *"},
    )
    assert schedule.status_code == 201, schedule.text
    with httpx.Client(base_url=strict_api.url, timeout=30) as browser:
        form = browser.get("/ui/signin")
        signed_in = browser.post(
            "/ui/signin",
            data={"api_key": org.tokens["viewer"], "csrf": csrf_of(form)},
            headers=same_origin(strict_api.url),
        )
        assert signed_in.status_code == 303, signed_in.text
        for page in ("/ui/", "/ui/schedules", f"/ui/schedules/{schedule.json()['id']}"):
            shown = browser.get(page)
            assert shown.status_code == 200, (page, shown.text)
            assert leaks(shown.text) == []


def test_an_update_that_keeps_the_mask_keeps_the_secrets(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    created = create_workflow(org, step())
    shown = org.editor.get(f"{V1}/workflows/{created['id']}").json()["definition"]
    shown["steps"][0]["config"]["url"] = "https://svc:***@api.example.org/v2/report"  # new path
    shown["steps"][0]["config"]["headers"]["Cookie"] = "session=new-cookie"  # a new value
    edited = org.editor.patch(f"{V1}/workflows/{created['id']}", json={"definition": shown})
    assert edited.status_code == 200, edited.text
    assert leaks(edited.text) == []
    config = stored_config(strict_api, org, created["id"])
    assert config["url"] == f"https://svc:{URL_PASSWORD}@api.example.org/v2/report"
    assert config["headers"] == {
        **HEADERS,
        "Cookie": "session=new-cookie",
        "Content-Type": "text/csv",
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://svc:***@attacker.example/collect",  # the password would follow the edit
        "https://svc:***@api.example.org:8443/v1/report",
        "http://svc:***@api.example.org/v1/report",
    ],
)
def test_the_mask_keeps_nothing_once_the_step_sends_elsewhere(
    strict_api: SecuredApi, url: str
) -> None:
    org = strict_api.organization()
    created = create_workflow(org, step())
    shown = org.editor.get(f"{V1}/workflows/{created['id']}").json()["definition"]
    shown["steps"][0]["config"]["url"] = url
    edited = org.editor.patch(f"{V1}/workflows/{created['id']}", json={"definition": shown})
    assert edited.status_code == 422, edited.text
    [error] = edited.json()["errors"]
    assert error["field"] == "definition.steps[0].config"
    assert "give the" in error["message"]
    assert stored_config(strict_api, org, created["id"])["url"].endswith("/v1/report")


def test_the_mask_in_a_new_workflow_stands_for_nothing(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    response = org.editor.post(
        f"{V1}/workflows",
        json={"name": "x", "definition": {"steps": [step(Authorization="***")]}},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "definition.steps[0].config"
    assert (
        error["message"]
        == "headers.Authorization: *** stands for a stored value, and there is none"
    )


def webhook_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "hook",
        "kind": "webhook",
        "target": f"https://ops:{URL_PASSWORD}@hooks.example.org/cronwright",
        "events": ["run_failed"],
        "secret": SIGNING_KEY,
    } | changes


@pytest.fixture
def channel(strict_api: SecuredApi) -> tuple[Org, int]:
    org = strict_api.organization()
    created = org.admin.post(f"{V1}/alert-channels", json=webhook_body())
    assert created.status_code == 201, created.text
    assert leaks(created.text) == []
    return org, int(created.json()["id"])


def test_a_viewer_reads_no_webhook_password_or_signing_key(
    strict_api: SecuredApi, channel: tuple[Org, int]
) -> None:
    org, channel_id = channel
    for path in (f"{V1}/alert-channels", f"{V1}/alert-channels/{channel_id}"):
        response = org.viewer.get(path)
        assert response.status_code == 200, response.text
        assert leaks(response.text) == []
    shown = org.viewer.get(f"{V1}/alert-channels/{channel_id}").json()
    assert shown["target"] == "https://ops:***@hooks.example.org/cronwright"
    assert shown["has_secret"] is True


def test_a_webhook_update_with_masks_keeps_password_and_key(
    strict_api: SecuredApi, channel: tuple[Org, int]
) -> None:
    org, channel_id = channel
    edited = org.admin.patch(
        f"{V1}/alert-channels/{channel_id}",
        json={"target": "https://ops:***@hooks.example.org/v2", "secret": "***"},
    )
    assert edited.status_code == 200, edited.text
    stored = strict_api.container.alert_channels.get(org.org.id, channel_id)  # type: ignore[arg-type]
    assert stored.target == f"https://ops:{URL_PASSWORD}@hooks.example.org/v2"
    assert stored.secret == SIGNING_KEY
    moved = org.admin.patch(
        f"{V1}/alert-channels/{channel_id}",
        json={"target": "https://ops:***@attacker.example/collect"},
    )
    assert moved.status_code == 422, moved.text
    assert [e["field"] for e in moved.json()["errors"]] == ["target"]


def test_masked_configs_hide_shell_env_values_and_keep_descriptive_headers() -> None:
    shell: domain.JsonObject = {"argv": ["backup"], "env": {"PGPASSWORD": "tok-pg", "MODE": "full"}}
    assert secret_values.masked_config("shell", shell) == {
        "argv": ["backup"],
        "env": {"PGPASSWORD": "***", "MODE": "***"},
    }
    assert (
        secret_values.keep_stored("shell", secret_values.masked_config("shell", shell), shell)
        == shell
    )
    http: domain.JsonObject = {
        "url": "https://a.example/",
        "headers": {"accept": "text/csv", "x-y": "z"},
    }
    assert secret_values.masked_config("http", http)["headers"] == {
        "accept": "text/csv",
        "x-y": "***",
    }


# -- apply --------------------------------------------------------------------------------------

APPLIED = """\
organization: acme
workflows:
  - name: report
    steps:
      - name: call
        kind: http
        config:
          url: "https://svc:{password}@api.example.org/v1/report"
          headers: {{Authorization: "{authorization}"}}
"""


def apply(url: str, path: Path, *args: str) -> tuple[int, str]:
    from cronwright.cli import app

    result = CliRunner().invoke(app, ["apply", str(path), "--url", url, *args])
    return result.exit_code, result.stdout + result.stderr


def test_apply_dry_run_shows_no_secret_and_a_masked_file_changes_nothing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url(request, "sqlite", tmp_path)
    path = tmp_path / "acme.yaml"
    path.write_text(APPLIED.format(password=URL_PASSWORD, authorization=HEADERS["Authorization"]))
    code, out = apply(url, path)
    assert code == 0, out
    assert leaks(out) == []
    path.write_text(APPLIED.format(password=URL_PASSWORD, authorization="Bearer tok-rotated"))
    code, out = apply(url, path, "--dry-run")
    assert code == 0, out
    assert 'step "call" changed' in out
    assert "tok-rotated" not in out
    assert leaks(out) == []
    path.write_text(APPLIED.format(password="***", authorization="***"))
    code, out = apply(url, path, "--dry-run")
    assert (code, leaks(out)) == (0, [])
    assert "already matches the file" in out


# -- logs and alerts ----------------------------------------------------------------------------


@pytest.fixture
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    bench = Bench(store, FakeClock(T0))
    actions.install_default_actions(
        bench.registry, allow_shell=False, trigger_port=None, outbound_policy=LOCAL_OUTBOUND
    )
    yield bench
    store.close()


def test_a_failing_step_logs_and_records_no_secret(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server().start()
    try:
        host_port = server.url.removeprefix("http://")
        run = bench.run(
            [step(url=f"http://svc:{URL_PASSWORD}@{host_port}/status/500")], max_attempts=1
        )
        with caplog.at_level(logging.DEBUG):
            outcome = bench.executor.execute(bench.claim(run))
    finally:
        server.stop()
    assert outcome is not None
    assert outcome.state is domain.RunState.FAILED
    [recorded] = bench.steps(run)
    assert recorded.error is not None
    assert "answered 500" in recorded.error
    sent = server.requests[0]["headers"]
    assert isinstance(sent, dict)
    assert sent["x-api-key"] == HEADERS["X-Api-Key"]  # used...
    # The run's error is what alerts carry (planning.alerts puts it in the payload).
    seen = f"{recorded.error} {recorded.output} {outcome.error} {caplog.text}"
    assert leaks(seen) == []  # ...and shown nowhere
