"""The API's exact contract: JSON types are not coerced (a boolean is no integer, a string no
number), header values with line breaks are refused when a step is saved, ``If-Match`` compares
strongly, and every 405 names every method of its path."""

from __future__ import annotations

from typing import Any

import pytest

from tests.component.security.edge import V1, Edge, Tenant, problem_of


def schedule_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    return {"workflow_id": tenant.workflow.id, "name": "nightly", "cron": "0 3 * * *", **changes}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", True),
        ("max_attempts", "3"),
        ("max_attempts", 3.5),
        ("workflow_id", True),
        ("timeout_seconds", True),
        ("timeout_seconds", "30"),
        ("backoff_factor", False),
        ("paused", 0),
        ("paused", "true"),
        ("start_at", 1_700_000_000),
    ],
)
def test_schedule_fields_take_only_their_own_json_type(
    edge: Edge, acme: Tenant, field: str, value: Any
) -> None:
    editor = edge.client(acme.tokens["editor"])
    created = editor.post(f"{V1}/schedules", json=schedule_body(acme, **{field: value}))
    problem = problem_of(created, 400)
    assert problem["errors"][0]["field"] == field
    assert edge.service.schedules.list(acme.org.id, limit=10).items == ()


def test_a_boolean_is_no_page_size_count_or_step_retry(edge: Edge, acme: Tenant) -> None:
    viewer = edge.client(acme.tokens["viewer"])
    validate = viewer.post(f"{V1}/cron/validate", json={"expression": "* * * * *", "count": True})
    problem_of(validate, 400)
    editor = edge.client(acme.tokens["editor"])
    step = {"name": "s", "kind": "http", "config": {"url": "https://example.org"}, "retries": True}
    workflow = {"name": "w", "definition": {"steps": [step]}}
    problem_of(editor.post(f"{V1}/workflows", json=workflow), 400)


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb"])
def test_header_values_with_line_breaks_are_refused_at_save(
    edge: Edge, acme: Tenant, value: str
) -> None:
    editor = edge.client(acme.tokens["editor"])
    config = {"url": "https://example.org", "headers": {"X-Trace": value}}
    workflow = {
        "name": "w",
        "definition": {"steps": [{"name": "s", "kind": "http", "config": config}]},
    }
    problem = problem_of(editor.post(f"{V1}/workflows", json=workflow), 422)
    assert "CR, LF or NUL" in problem["detail"]
    assert value not in problem["detail"]  # a header value may be a secret: never echoed


@pytest.mark.parametrize("tag", ['W/"1"', 'W/"7"'])
def test_a_weak_etag_never_matches(edge: Edge, acme: Tenant, tag: str) -> None:
    schedule = edge.schedule(acme)
    editor = edge.client(acme.tokens["editor"])
    changed = editor.patch(
        f"{V1}/schedules/{schedule.id}", json={"name": "renamed"}, headers={"If-Match": tag}
    )
    problem = problem_of(changed, 412)
    assert problem["current_version"] == 1
    assert edge.service.schedules.get(acme.org.id, schedule.id).spec.name == "nightly"
    strong = editor.patch(
        f"{V1}/schedules/{schedule.id}", json={"name": "renamed"}, headers={"If-Match": '"1"'}
    )
    assert strong.status_code == 200, strong.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/schedules/1", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/schedules", {"GET", "POST"}),
        ("PUT", "/workflows/1", {"GET", "PATCH", "DELETE"}),
        ("GET", "/schedules/1/pause", {"POST"}),
        ("PATCH", "/alert-channels/1/test", {"POST"}),
        ("POST", "/organization", {"GET"}),
    ],
)
def test_405_names_every_method_of_the_path(
    edge: Edge, acme: Tenant, method: str, path: str, allowed: set[str]
) -> None:
    response = edge.client(acme.tokens["admin"]).request(method, V1 + path)
    problem_of(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == allowed
