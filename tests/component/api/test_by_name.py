"""Names are identities over HTTP: a duplicate create is a 409 naming the existing id, and
``PUT .../by-name/{name}`` creates or updates, so a script may run any number of times."""

from __future__ import annotations

from typing import Any

import httpx

from tests.component.api.conftest import (
    STEPS,
    Api,
    Tenant,
    fields_of,
    problem_of,
    rejected,
    schedule_body,
)

V1 = "/api/v1"
CHANNEL = {"kind": "webhook", "target": "https://hooks.example.org/x", "events": ["run_failed"]}


def ok(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_duplicate_create_is_a_409_with_the_existing_id(api: Api, acme: Tenant) -> None:
    workflow = ok(acme.editor.post(f"{V1}/workflows", json={"name": "w", "definition": STEPS}), 201)
    problem = rejected(
        api,
        lambda: acme.editor.post(f"{V1}/workflows", json={"name": "w", "definition": STEPS}),
        409,
        "name",
    )
    assert problem["existing_id"] == workflow["id"]
    assert problem["detail"] == f"workflow {workflow['id']} is named 'w' already"

    channel = ok(acme.admin.post(f"{V1}/alert-channels", json={"name": "c", **CHANNEL}), 201)
    problem = rejected(
        api, lambda: acme.admin.post(f"{V1}/alert-channels", json={"name": "c", **CHANNEL}), 409
    )
    assert problem["existing_id"] == channel["id"]

    schedule = ok(acme.editor.post(f"{V1}/schedules", json=schedule_body(acme)), 201)
    problem = rejected(
        api,
        lambda: acme.editor.post(f"{V1}/schedules", json=schedule_body(acme, cron="0 4 * * *")),
        409,
        "name",
    )
    assert (problem["existing_id"], problem["same_name_id"]) == (schedule["id"], schedule["id"])
    assert "same_schedule_id" not in problem


def test_a_schedule_409_reports_the_same_name_and_the_same_schedule(api: Api, acme: Tenant) -> None:
    named = ok(acme.editor.post(f"{V1}/schedules", json=schedule_body(acme)), 201)
    twin = ok(
        acme.editor.post(f"{V1}/schedules", json=schedule_body(acme, name="b", cron="0 4 * * *")),
        201,
    )
    problem = rejected(
        api,
        lambda: acme.editor.post(f"{V1}/schedules", json=schedule_body(acme, cron="0 4 * * *")),
        409,
    )
    assert problem["same_name_id"] == named["id"]
    assert problem["same_schedule_id"] == twin["id"]
    assert set(fields_of(problem)) == {"name", "cron"}


def test_put_by_name_twice_makes_one_schedule_and_one_version(api: Api, acme: Tenant) -> None:
    url = f"{V1}/schedules/by-name/nightly report"
    body = schedule_body(acme, name=None, input={"report": "sales"})
    created = acme.editor.put(url, json=body)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"/schedules/{created.json()['id']}")
    assert created.headers["ETag"] == '"1"'
    again = acme.editor.put(url, json=body)
    assert again.status_code == 200
    assert again.json() == created.json()
    assert again.headers["ETag"] == '"1"'  # nothing changed: no new version
    changed = ok(acme.editor.put(url, json={**body, "cron": "30 3 * * *"}), 200)
    assert (changed["id"], changed["cron"], changed["version"]) == (
        created.json()["id"],
        "30 3 * * *",
        2,
    )
    listed = ok(acme.viewer.get(f"{V1}/schedules", params={"name_contains": "nightly report"}), 200)
    assert [item["id"] for item in listed["items"]] == [changed["id"]]


def test_put_by_name_of_workflows_and_alert_channels_is_idempotent(api: Api, acme: Tenant) -> None:
    url = f"{V1}/workflows/by-name/export"
    first = ok(acme.editor.put(url, json={"definition": STEPS}), 201)
    assert ok(acme.editor.put(url, json={"name": "export", "definition": STEPS}), 200) == first
    other = {"steps": [{**STEPS["steps"][0], "name": "other"}]}
    changed = ok(acme.editor.put(url, json={"definition": other}), 200)
    assert (changed["id"], changed["version"]) == (first["id"], 2)

    url = f"{V1}/alert-channels/by-name/on-call"
    channel = ok(acme.admin.put(url, json=CHANNEL), 201)
    assert ok(acme.admin.put(url, json=CHANNEL), 200) == channel
    moved = ok(acme.admin.put(url, json={**CHANNEL, "target": "https://hooks.example.org/y"}), 200)
    assert (moved["id"], moved["target"]) == (channel["id"], "https://hooks.example.org/y")
    channels = ok(acme.viewer.get(f"{V1}/alert-channels"), 200)["items"]
    assert [c["id"] for c in channels] == [channel["id"]]


def test_put_by_name_refuses_another_name_in_the_body_and_a_new_kind(
    api: Api, acme: Tenant
) -> None:
    rejected(
        api,
        lambda: acme.editor.put(
            f"{V1}/workflows/by-name/a", json={"name": "b", "definition": STEPS}
        ),
        422,
        "name",
    )
    ok(acme.admin.put(f"{V1}/alert-channels/by-name/pager", json=CHANNEL), 201)
    email = {"kind": "email", "target": "ops@example.org", "events": ["run_failed"]}
    problem = rejected(
        api, lambda: acme.admin.put(f"{V1}/alert-channels/by-name/pager", json=email), 422, "kind"
    )
    assert "a new kind is a new channel" in problem["detail"]


def test_put_by_name_of_a_schedule_that_would_duplicate_another_is_a_409(
    api: Api, acme: Tenant
) -> None:
    first = ok(
        acme.editor.put(f"{V1}/schedules/by-name/one", json=schedule_body(acme, name=None)), 201
    )
    problem = rejected(
        api,
        lambda: acme.editor.put(f"{V1}/schedules/by-name/two", json=schedule_body(acme, name=None)),
        409,
    )
    assert problem["same_schedule_id"] == first["id"]


def test_names_belong_to_their_organization(api: Api, acme: Tenant, rival: Tenant) -> None:
    mine = ok(acme.editor.put(f"{V1}/workflows/by-name/shared", json={"definition": STEPS}), 201)
    theirs = ok(rival.editor.put(f"{V1}/workflows/by-name/shared", json={"definition": STEPS}), 201)
    assert mine["id"] != theirs["id"]
    problem_of(rival.viewer.get(f"{V1}/workflows/{mine['id']}"), 404)


def test_put_by_name_with_conditions_never_overwrites_a_change_made_since(
    api: Api, acme: Tenant
) -> None:
    url = f"{V1}/schedules/by-name/guarded"
    body = schedule_body(acme, name=None)
    new_only = {"If-None-Match": "*"}
    created = ok(acme.editor.put(url, json=body, headers=new_only), 201)
    # It exists now: a create-only write is refused, even one that would change nothing.
    problem = rejected(api, lambda: acme.editor.put(url, json=body, headers=new_only), 412)
    assert fields_of(problem) == ["If-None-Match"]
    assert problem["detail"] == f"schedule {created['id']} is named 'guarded' already"
    edited = ok(
        acme.editor.put(url, json={**body, "cron": "0 4 * * *"}, headers={"If-Match": '"1"'}), 200
    )
    assert edited["version"] == 2
    stale = {"If-Match": '"1"'}  # someone else's edit made version 2
    problem = rejected(
        api, lambda: acme.editor.put(url, json={**body, "cron": "0 5 * * *"}, headers=stale), 412
    )
    assert (fields_of(problem), problem["current_version"]) == (["If-Match"], 2)
    missing = f"{V1}/schedules/by-name/nowhere"
    problem = rejected(api, lambda: acme.editor.put(missing, json=body, headers=stale), 412)
    assert problem["detail"] == "no schedule named 'nowhere' to change"

    flow = f"{V1}/workflows/by-name/guarded"
    ok(acme.editor.put(flow, json={"definition": STEPS}, headers=new_only), 201)
    rejected(api, lambda: acme.editor.put(flow, json={"definition": STEPS}, headers=new_only), 412)
    other = {"steps": [{**STEPS["steps"][0], "name": "other"}]}
    rejected(
        api,
        lambda: acme.editor.put(flow, json={"definition": other}, headers={"If-Match": '"2"'}),
        412,
    )
    assert (
        ok(acme.editor.put(flow, json={"definition": other}, headers={"If-Match": '"1"'}), 200)[
            "version"
        ]
        == 2
    )
    problem = rejected(
        api,
        lambda: acme.editor.put(flow, json={"definition": STEPS}, headers={"If-None-Match": '"1"'}),
        400,
    )
    assert fields_of(problem) == ["If-None-Match"]
