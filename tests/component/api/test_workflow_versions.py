"""A workflow's versions over HTTP: every save kept with its author, secret values masked in each
version, and rollback to an old definition under ``If-Match``, refused to viewers and to other
organizations."""

from __future__ import annotations

from typing import Any

import httpx

from tests.component.api.conftest import Api, Tenant, problem_of, rejected

V1 = "/api/v1"


def http_step(url: str, token: str) -> dict[str, Any]:
    return {
        "steps": [
            {
                "name": "call",
                "kind": "http",
                "config": {"url": url, "headers": {"authorization": f"Bearer {token}"}},
            }
        ]
    }


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_every_save_is_a_version_with_its_author_and_secrets_masked(acme: Tenant) -> None:
    made = ok(
        acme.editor.post(
            f"{V1}/workflows",
            json={"name": "report", "definition": http_step("https://a.example/", "first-secret")},
        ),
        201,
    )
    path = f"{V1}/workflows/{made['id']}"
    ok(
        acme.editor.patch(
            path, json={"definition": http_step("https://b.example/", "second-secret")}
        )
    )
    versions = ok(acme.viewer.get(f"{path}/versions"))
    assert [v["version"] for v in versions] == [1, 2]
    assert {v["author"] for v in versions} == {versions[0]["author"]}
    assert versions[0]["author"].startswith("api-key:")
    urls = [v["definition"]["steps"][0]["config"]["url"] for v in versions]
    assert urls == ["https://a.example/", "https://b.example/"]
    for version in versions:
        headers = version["definition"]["steps"][0]["config"]["headers"]
        assert headers == {"authorization": "***"}
    assert "first-secret" not in str(versions)
    assert "second-secret" not in str(versions)
    first = ok(acme.viewer.get(f"{path}/versions/1"))
    assert first == versions[0]
    problem_of(acme.viewer.get(f"{path}/versions/3"), 404)


def test_rollback_writes_the_old_definition_as_a_new_version(api: Api, acme: Tenant) -> None:
    made = ok(
        acme.editor.post(
            f"{V1}/workflows",
            json={"name": "sync", "definition": http_step("https://a.example/", "first-secret")},
        ),
        201,
    )
    path = f"{V1}/workflows/{made['id']}"
    ok(
        acme.editor.patch(
            path, json={"definition": http_step("https://b.example/", "second-secret")}
        )
    )
    rejected(
        api,
        lambda: acme.editor.post(
            f"{path}/rollback", json={"version": 1}, headers={"If-Match": '"1"'}
        ),
        412,
    )
    rejected(api, lambda: acme.viewer.post(f"{path}/rollback", json={"version": 1}), 403)
    rejected(api, lambda: acme.editor.post(f"{path}/rollback", json={"version": 9}), 404)
    response = acme.editor.post(
        f"{path}/rollback", json={"version": 1}, headers={"If-Match": '"2"'}
    )
    rolled = ok(response)
    assert response.headers["ETag"] == '"3"'
    assert rolled["version"] == 3
    assert rolled["definition"]["steps"][0]["config"]["url"] == "https://a.example/"
    assert rolled["definition"]["steps"][0]["config"]["headers"] == {"authorization": "***"}
    assert [v["version"] for v in ok(acme.viewer.get(f"{path}/versions"))] == [1, 2, 3]


def test_another_organizations_workflow_versions_are_missing(
    api: Api, acme: Tenant, rival: Tenant
) -> None:
    path = f"{V1}/workflows/{acme.workflow.id}"
    problem_of(rival.viewer.get(f"{path}/versions"), 404)
    problem_of(rival.viewer.get(f"{path}/versions/1"), 404)
    rejected(api, lambda: rival.editor.post(f"{path}/rollback", json={"version": 1}), 404)
