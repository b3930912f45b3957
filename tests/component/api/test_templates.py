"""``/api/v1/templates`` over HTTP: the catalog, an organization's own versioned templates, and
instantiation, org-scoped, with the schedules' roles."""

from __future__ import annotations

from typing import Any

from tests.component.api.conftest import PROBLEM_JSON, Api, Tenant

OWN: dict[str, Any] = {
    "name": "ping-partner",
    "description": "Pings a partner's endpoint.",
    "parameters": [
        {"name": "url", "type": "url", "description": "Where", "example": "https://p.example.org"},
        {"name": "minutes", "type": "integer", "description": "Every", "default": 15},
    ],
    "workflow": {
        "steps": [{"name": "ping", "kind": "http", "config": {"url": "{{ params.url }}"}}]
    },
    "schedule": {"cron": "*/{{ params.minutes }} * * * *", "overlap": "skip"},
}


def test_a_viewer_lists_and_reads_the_shipped_catalog(acme: Tenant) -> None:
    listed = acme.viewer.get("/api/v1/templates")
    assert listed.status_code == 200
    names = [item["name"] for item in listed.json()["items"]]
    assert "http-health-check" in names
    assert all(item["source"] == "shipped" for item in listed.json()["items"])
    shown = acme.viewer.get("/api/v1/templates/retainer-invoice").json()
    assert shown["schedule"]["cron"] == "{{ params.cron }}"
    cron = next(p for p in shown["parameters"] if p["name"] == "cron")
    assert cron == {
        "name": "cron",
        "type": "cron",
        "description": "When to invoice.",
        "required": False,
        "default": "0 9 1W * *",
        "example": None,
        "choices": None,
        "minimum": None,
        "maximum": None,
    }
    missing = acme.viewer.get("/api/v1/templates/no-such-template")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON


def test_an_editor_instantiates_and_the_schedule_records_its_template(
    api: Api, acme: Tenant
) -> None:
    body = {"schedule_name": "site-health", "parameters": {"url": "https://example.org/healthz"}}
    assert (
        acme.viewer.post("/api/v1/templates/http-health-check/instantiate", json=body).status_code
        == 403
    )
    made = acme.editor.post("/api/v1/templates/http-health-check/instantiate", json=body)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["template"], out["template_version"], out["source"]) == (
        "http-health-check",
        1,
        "shipped",
    )
    assert out["parameters"]["expect_status"] == 200
    schedule = acme.viewer.get(made.headers["Location"]).json()
    assert schedule["cron"] == "*/5 * * * *"
    assert schedule["workflow_id"] == out["workflow_id"]
    made_from = acme.viewer.get("/api/v1/templates/http-health-check/schedules").json()["items"]
    assert [item["schedule_id"] for item in made_from] == [out["schedule_id"]]


def test_a_client_that_rendered_a_template_records_it_with_the_templates_values(
    api: Api, acme: Tenant
) -> None:
    schedule = acme.editor.post(
        "/api/v1/schedules",
        json={"workflow_id": acme.workflow.id, "name": "by-hand", "cron": "*/5 * * * *"},
    ).json()
    url = f"/api/v1/templates/http-health-check/schedules/{schedule['id']}"
    recorded = acme.editor.put(url, json={"parameters": {"url": "https://example.org/healthz"}})
    assert recorded.status_code == 200, recorded.text
    origin = recorded.json()
    assert (origin["schedule_id"], origin["template_version"], origin["source"]) == (
        schedule["id"],
        1,
        "shipped",
    )
    assert origin["parameters"]["expect_status"] == 200  # the template's default, filled in
    again = acme.editor.put(url, json={"parameters": {"url": "https://example.org/healthz"}})
    assert again.json() == origin  # a record that says so already stays
    made_from = acme.viewer.get("/api/v1/templates/http-health-check/schedules").json()["items"]
    assert [item["schedule_id"] for item in made_from] == [schedule["id"]]
    before = api.snapshot()
    refused = acme.editor.put(url, json={"parameters": {"url": "not a url"}})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "parameters.url"
    missing = acme.editor.put(
        "/api/v1/templates/http-health-check/schedules/999999",
        json={"parameters": {"url": "https://example.org/healthz"}},
    )
    assert missing.status_code == 404
    assert api.snapshot() == before


def test_a_parameter_error_is_a_422_naming_the_parameter_and_writes_nothing(
    api: Api, acme: Tenant
) -> None:
    before = api.snapshot()
    answer = acme.editor.post(
        "/api/v1/templates/contract-renewal-reminder/instantiate",
        json={
            "schedule_name": "renewal",
            "parameters": {
                "contract": "Hosting",
                "renewal_date": "2026-02-30",
                "webhook_url": "https://chat.example.org/h",
            },
        },
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "parameters.renewal_date"
    assert "not a date" in problem["errors"][0]["message"]
    assert api.snapshot() == before


def test_own_templates_are_versioned_and_private_to_the_organization(
    acme: Tenant, rival: Tenant
) -> None:
    assert acme.viewer.post("/api/v1/templates", json=OWN).status_code == 403
    first = acme.editor.post("/api/v1/templates", json=OWN)
    assert first.status_code == 201, first.text
    assert (first.json()["version"], first.json()["source"]) == (1, "organization")
    second = acme.editor.post("/api/v1/templates", json={**OWN, "description": "Pings, v2."})
    assert second.json()["version"] == 2
    assert second.json()["versions"] == [1, 2]
    assert acme.viewer.get("/api/v1/templates/ping-partner?version=1").json()["description"] == (
        "Pings a partner's endpoint."
    )
    assert rival.viewer.get("/api/v1/templates/ping-partner").status_code == 404
    assert "ping-partner" not in [
        item["name"] for item in rival.viewer.get("/api/v1/templates").json()["items"]
    ]
    made = acme.editor.post(
        "/api/v1/templates/ping-partner/instantiate",
        json={
            "schedule_name": "partner",
            "parameters": {"url": "https://p.example.org/x"},
            "version": 1,
        },
    )
    assert made.status_code == 201, made.text
    assert (made.json()["template_version"], made.json()["parameters"]["minutes"]) == (1, 15)
    assert acme.editor.delete("/api/v1/templates/ping-partner").status_code == 204
    assert acme.viewer.get("/api/v1/templates/ping-partner").status_code == 404


def test_a_template_that_cannot_work_is_refused_on_save_with_its_place(acme: Tenant) -> None:
    undeclared = {**OWN, "schedule": {"cron": "{{ params.when }}"}}
    answer = acme.editor.post("/api/v1/templates", json=undeclared)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "template.schedule.cron"
    bad_step = {
        **OWN,
        "workflow": {
            "steps": [
                {
                    "name": "{{ params.url }}",  # a URL is not a step name
                    "kind": "http",
                    "config": {"url": "{{ params.url }}"},
                }
            ]
        },
        "parameters": [OWN["parameters"][0]],
        "schedule": {"cron": "0 * * * *"},
    }
    answer = acme.editor.post("/api/v1/templates", json=bad_step)
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["field"] == "template.workflow.steps[0].name"
    assert "parameter url" in error["message"]
    shipped_name = acme.editor.post("/api/v1/templates", json={**OWN, "name": "hourly-sync"})
    assert shipped_name.status_code == 409
