"""The committed ``docs/openapi.json`` is the app's document, and the document is complete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cronwright.api import Container, create_app
from cronwright.api.app import route_table
from cronwright.api.auth import required_role

COMMITTED = Path(__file__).parents[3] / "docs" / "openapi.json"


def current_document() -> dict[str, Any]:
    # The document depends on the routes only, never on the container's contents.
    app = create_app(Container.from_url("sqlite://"))
    return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_committed_openapi_document_is_current() -> None:
    """Fails (and rewrites the file) when the routes changed: commit the new document."""
    text = render(current_document())
    if not COMMITTED.exists() or COMMITTED.read_text() != text:
        COMMITTED.write_text(text)
        pytest.fail(f"{COMMITTED} was stale and has been regenerated; commit it")


def test_every_operation_documents_its_statuses_and_roles() -> None:
    paths = current_document()["paths"]
    for route in route_table():
        for method in route.methods or ():
            operation = paths[route.path][method.lower()]
            statuses = set(operation["responses"])
            role = required_role(route)
            if role is not None:
                assert "401" in statuses, route.path
                assert operation["x-required-role"] == role.value
                if role.value != "viewer":
                    assert "403" in statuses, route.path
            if "{" in route.path and "/by-name/" not in route.path:  # a name may be new: no 404
                assert {"400", "404"} <= statuses, route.path
            if route.body_field is not None:
                assert "400" in statuses, route.path
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    media = response["content"]["application/problem+json"]
                    assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
                    assert media["example"]["status"] == int(status)
