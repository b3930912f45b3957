"""Trigger, backfill, cancel and retry over HTTP."""

from __future__ import annotations

from cronwright import domain
from tests.component.api.conftest import Api, Tenant, problem_of, rejected, schedule_body

V1 = "/api/v1"


def _schedule(tenant: Tenant) -> int:
    response = tenant.editor.post(
        f"{V1}/schedules", json=schedule_body(tenant, input={"a": 1, "b": 2})
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_trigger_queues_a_manual_run_with_merged_input(api: Api, acme: Tenant) -> None:
    sid = _schedule(acme)
    response = acme.editor.post(f"{V1}/schedules/{sid}/trigger", json={"input": {"b": 3}})
    assert response.status_code == 202, response.text
    run = response.json()
    assert (run["trigger"], run["state"], run["input"]) == ("manual", "pending", {"a": 1, "b": 3})
    assert acme.viewer.get(response.headers["location"]).json()["id"] == run["id"]
    bare = acme.editor.post(f"{V1}/schedules/{sid}/trigger")
    assert bare.json()["input"] == {"a": 1, "b": 2}
    rejected(
        api, lambda: acme.editor.post(f"{V1}/schedules/{sid}/trigger", json={"inputs": {}}), 400
    )
    problem_of(acme.editor.post(f"{V1}/schedules/999999/trigger"), 404)


def test_backfill_dry_run_writes_nothing_then_runs_each_slot_once(api: Api, acme: Tenant) -> None:
    sid = _schedule(acme)
    url = f"{V1}/schedules/{sid}/backfill"
    window = {"since": "2026-02-27T00:00:00Z", "until": "2026-03-02T00:00:00Z"}
    before = api.snapshot()
    dry = acme.editor.post(url, json={**window, "dry_run": True}).json()
    assert api.snapshot() == before
    assert [slot["scheduled_for"] for slot in dry["slots"]] == [
        "2026-02-27T03:00:00Z",
        "2026-02-28T03:00:00Z",
        "2026-03-01T03:00:00Z",
    ]
    assert dry["counts"]["would_create"] == 3
    done = acme.editor.post(url, json=window).json()
    assert done["counts"]["created"] == 3
    again = acme.editor.post(url, json=window).json()
    assert (again["counts"]["created"], again["counts"]["exists"]) == (0, 3)
    rejected(
        api,
        lambda: acme.editor.post(
            url, json={"since": "2026-03-01T00:00:00Z", "until": "2026-03-09T00:00:00Z"}
        ),
        422,
        "until",
    )
    rejected(api, lambda: acme.editor.post(url, json={"since": "yesterday"}), 400, "since")


def test_cancel_and_retry(api: Api, acme: Tenant, rival: Tenant) -> None:
    sid = _schedule(acme)
    run = acme.editor.post(f"{V1}/schedules/{sid}/trigger").json()
    problem_of(rival.admin.post(f"{V1}/runs/{run['id']}/cancel"), 404)
    rejected(api, lambda: acme.editor.post(f"{V1}/runs/{run['id']}/retry"), 409)
    cancelled = acme.editor.post(f"{V1}/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == domain.RunState.CANCELLED.value
    rejected(api, lambda: acme.editor.post(f"{V1}/runs/{run['id']}/cancel"), 409)
    retried = acme.editor.post(f"{V1}/runs/{run['id']}/retry")
    assert retried.status_code == 201, retried.text
    assert (retried.json()["trigger"], retried.json()["state"]) == ("retry", "pending")
    assert retried.json()["id"] != run["id"]
