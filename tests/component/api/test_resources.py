"""Workflows, runs, API keys, the organization and alert channels over HTTP."""

from __future__ import annotations

from typing import Any

from cronwright import domain
from tests.component.api.conftest import STEPS, Api, Tenant, problem_of, rejected, schedule_body
from tests.support.rows import add_run, add_run_step

V1 = "/api/v1"


def test_workflow_crud_with_etags(api: Api, acme: Tenant, rival: Tenant) -> None:
    created = acme.editor.post(f"{V1}/workflows", json={"name": "report", "definition": STEPS})
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    assert created.headers["etag"] == '"1"'
    assert acme.viewer.get(url).json() == created.json()
    problem_of(rival.admin.get(url), 404)
    renamed = acme.editor.patch(url, json={"name": "daily report"}, headers={"If-Match": '"1"'})
    assert (renamed.json()["name"], renamed.headers["etag"]) == ("daily report", '"2"')
    rejected(
        api, lambda: acme.editor.patch(url, json={"name": "x"}, headers={"If-Match": '"1"'}), 412
    )
    listed = acme.viewer.get(f"{V1}/workflows").json()
    assert [item["name"] for item in listed["items"]] == ["ping", "daily report"]
    assert acme.editor.delete(url).status_code == 204
    problem_of(acme.viewer.get(url), 404)


def test_workflow_definitions_are_checked(api: Api, acme: Tenant) -> None:
    cycle = {
        "steps": [
            {"name": "a", "kind": "http", "depends_on": ["b"]},
            {"name": "b", "kind": "http", "depends_on": ["a"]},
        ]
    }
    problem = rejected(
        api,
        lambda: acme.editor.post(f"{V1}/workflows", json={"name": "w", "definition": cycle}),
        422,
        "definition.steps",
    )
    assert "cycle" in problem["detail"]
    rejected(
        api,
        lambda: acme.editor.post(
            f"{V1}/workflows",
            json={"name": "w", "definition": {"steps": [{"name": "a", "kind": "ftp"}]}},
        ),
        422,
        "definition.steps[0].kind",
    )
    rejected(
        api,
        lambda: acme.editor.post(
            f"{V1}/workflows", json={"name": "w", "definition": {"steps": []}}
        ),
        400,
        "definition.steps",
    )
    too_big = {"steps": [{"name": "a", "kind": "http", "config": {"blob": "x" * 70_000}}]}
    rejected(
        api,
        lambda: acme.editor.post(f"{V1}/workflows", json={"name": "w", "definition": too_big}),
        400,
        "definition.steps.0.config",
    )


def test_a_workflow_in_use_cannot_be_deleted(api: Api, acme: Tenant) -> None:
    assert acme.editor.post(f"{V1}/schedules", json=schedule_body(acme)).status_code == 201
    rejected(api, lambda: acme.editor.delete(f"{V1}/workflows/{acme.workflow.id}"), 409)


def _run(api: Api, tenant: Tenant, state: domain.RunState = domain.RunState.PENDING) -> int:
    store: Any = api.container.service.runs._store
    now = api.clock.now()
    run = add_run(
        store,
        domain.NewRun(
            org_id=tenant.org.id,
            workflow_id=tenant.workflow.id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=now,
            available_at=now,
            max_attempts=1,
            created_at=now,
            state=state,
            input={"n": 1},
        ),
    )
    assert run is not None
    add_run_step(
        store, run_id=run.id, name="call", kind="http", attempt=1, state=domain.RunState.SUCCEEDED
    )
    return int(run.id)


def test_runs_list_and_get_with_steps(api: Api, acme: Tenant, rival: Tenant) -> None:
    first = _run(api, acme)
    second = _run(api, acme, domain.RunState.FAILED)
    _run(api, rival)
    listed = acme.viewer.get(f"{V1}/runs").json()
    assert [run["id"] for run in listed["items"]] == [second, first]
    failed = acme.viewer.get(f"{V1}/runs", params={"state": ["failed", "timed_out"]}).json()
    assert [run["id"] for run in failed["items"]] == [second]
    detail = acme.viewer.get(f"{V1}/runs/{first}").json()
    assert (detail["input"], detail["trigger"]) == ({"n": 1}, "manual")
    assert [step["name"] for step in detail["steps"]] == ["call"]
    problem_of(rival.admin.get(f"{V1}/runs/{first}"), 404)
    problem_of(acme.viewer.get(f"{V1}/runs", params={"trigger": "cron"}), 400)


def test_api_keys_show_the_secret_once_and_revoke(api: Api, acme: Tenant) -> None:
    created = acme.admin.post(f"{V1}/api-keys", json={"name": "bot", "role": "viewer"})
    assert created.status_code == 201, created.text
    key = created.json()
    bot = api.client(key["token"])
    assert bot.get(f"{V1}/schedules").status_code == 200
    listed = acme.admin.get(f"{V1}/api-keys").json()
    assert all("token" not in item and "secret_hash" not in item for item in listed)
    assert "bot" in [item["name"] for item in listed]
    assert acme.admin.delete(f"{V1}/api-keys/{key['id']}").status_code == 204
    problem_of(bot.get(f"{V1}/schedules"), 401)
    rejected(
        api, lambda: acme.admin.post(f"{V1}/api-keys", json={"name": "x", "role": "root"}), 400
    )
    problem_of(acme.admin.delete(f"{V1}/api-keys/999999"), 404)


def test_bad_keys_are_401_with_a_challenge(api: Api, acme: Tenant) -> None:
    token = acme.tokens["viewer"]
    for header in (None, "Bearer nope", f"Basic {token}", f"Bearer {token[:-1]}x"):
        headers = {} if header is None else {"Authorization": header}
        response = api.client().get(f"{V1}/schedules", headers=headers)
        problem_of(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_organization_and_quotas(api: Api, acme: Tenant) -> None:
    org = acme.viewer.get(f"{V1}/organization").json()
    assert (org["id"], org["schedule_count"]) == (acme.org.id, 0)
    quotas = acme.viewer.get(f"{V1}/organization/quotas").json()
    assert quotas == {
        "max_schedules": org["max_schedules"],
        "max_concurrent_runs": org["max_concurrent_runs"],
        "schedule_count": 0,
    }
    # Quotas are the operator's: the organization's own admin cannot change them.
    rejected(
        api,
        lambda: acme.admin.put(
            f"{V1}/organization/quotas", json={"max_schedules": 7, "max_concurrent_runs": 3}
        ),
        405,
    )


def test_alert_channel_crud(api: Api, acme: Tenant, rival: Tenant) -> None:
    body = {
        "name": "on-call",
        "kind": "webhook",
        "target": "https://hooks.example.org/x",
        "events": ["run_failed"],
        "secret": "s" * 32,
    }
    created = acme.admin.post(f"{V1}/alert-channels", json=body)
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["has_secret"] is True
    assert "secret" not in channel
    url = f"{V1}/alert-channels/{channel['id']}"
    assert acme.viewer.get(url).json() == channel
    problem_of(rival.admin.get(url), 404)
    changed = acme.admin.patch(
        url, json={"events": ["run_failed", "schedule_missed"], "secret": None}
    )
    assert (changed.json()["events"], changed.json()["has_secret"]) == (
        ["run_failed", "schedule_missed"],
        False,
    )
    rejected(api, lambda: acme.admin.patch(url, json={"target": "ftp://x"}), 422, "target")
    listed = acme.viewer.get(f"{V1}/alert-channels").json()
    assert [item["id"] for item in listed["items"]] == [channel["id"]]
    assert acme.admin.delete(url).status_code == 204
    problem_of(acme.viewer.get(url), 404)


def test_alert_channel_targets_are_checked(api: Api, acme: Tenant) -> None:
    email = {"name": "mail", "kind": "email", "target": "not-an-address", "events": ["run_failed"]}
    rejected(api, lambda: acme.admin.post(f"{V1}/alert-channels", json=email), 422, "target")
    rejected(
        api,
        lambda: acme.admin.post(
            f"{V1}/alert-channels", json={**email, "target": "ops@example.org", "secret": "s" * 20}
        ),
        422,
        "secret",
    )
    rejected(
        api,
        lambda: acme.admin.post(f"{V1}/alert-channels", json={**email, "events": ["lunch"]}),
        400,
        "events.0",
    )


def test_cron_validate(api: Api, acme: Tenant) -> None:
    ok = acme.viewer.post(
        f"{V1}/cron/validate",
        json={"expression": "0 9 * * MON-FRI", "timezone": "America/New_York", "count": 2},
    ).json()
    assert ok["valid"] is True
    assert ok["description"]
    assert [fire["local"] for fire in ok["fires"]] == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-03T09:00:00-05:00",
    ]
    bad = acme.viewer.post(f"{V1}/cron/validate", json={"expression": "0 9 * * MON-FRX"}).json()
    assert bad["valid"] is False
    assert (bad["error"]["cron_field"], bad["error"]["column"]) == ("day of week", 13)
    zone = acme.viewer.post(
        f"{V1}/cron/validate", json={"expression": "@daily", "timezone": "Nowhere/Land"}
    ).json()
    assert (zone["valid"], zone["error"]["field"]) == (False, "timezone")
    never = acme.viewer.post(f"{V1}/cron/validate", json={"expression": "0 0 30 2 *"}).json()
    assert "never fires" in never["error"]["message"]
    problem_of(acme.viewer.post(f"{V1}/cron/validate", json={"expression": ""}), 400)
    problem_of(acme.viewer.post(f"{V1}/cron/validate", content=b"{not json"), 400)


def test_operations_endpoints(api: Api, acme: Tenant) -> None:
    anonymous = api.client()
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json() == {"status": "ok"}
    acme.viewer.get(f"{V1}/schedules")
    metrics = anonymous.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert (
        'cronwright_http_requests_total{method="GET",route="/api/v1/schedules",status="200"}'
        in metrics.text
    )
    problem_of(anonymous.get(f"{V1}/nowhere"), 404)
    problem_of(anonymous.put("/healthz"), 405)
    huge = b"x" * (1024 * 1024 + 1)
    json_type = {"Content-Type": "application/json"}
    # The key is checked before the body is read: strangers learn nothing about their body.
    problem_of(anonymous.post(f"{V1}/schedules", content=huge, headers=json_type), 401)
    problem_of(acme.editor.post(f"{V1}/schedules", content=huge, headers=json_type), 413)
