"""Per-step timeout and retries over HTTP: stored, shown, and checked by the service."""

from __future__ import annotations

from tests.component.api.conftest import Api, Tenant, rejected

V1 = "/api/v1"


def test_step_timeout_and_retries_are_saved_and_shown(api: Api, acme: Tenant) -> None:
    steps = [
        {"name": "a", "kind": "python", "config": {"function": "f"}, "timeout": 2.5, "retries": 2},
        {"name": "b", "kind": "python", "config": {"function": "f"}, "depends_on": ["a"]},
    ]
    created = acme.editor.post(
        f"{V1}/workflows", json={"name": "w", "definition": {"steps": steps}}
    )
    assert created.status_code == 201, created.text
    shown = acme.viewer.get(created.headers["location"]).json()["definition"]["steps"]
    assert [(s["name"], s["timeout"], s["retries"]) for s in shown] == [
        ("a", 2.5, 2),
        ("b", None, 0),
    ]


def test_a_bad_step_timeout_is_refused_naming_the_step(api: Api, acme: Tenant) -> None:
    steps = [{"name": "a", "kind": "python", "config": {"function": "f"}, "timeout": 0}]
    problem = rejected(
        api,
        lambda: acme.editor.post(
            f"{V1}/workflows", json={"name": "w", "definition": {"steps": steps}}
        ),
        422,
        "definition.steps[0].timeout",
    )
    assert "more than 0" in problem["detail"]
