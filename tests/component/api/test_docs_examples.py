"""Every docs example that creates workflows, schedules or alert channels through the API is
safe to run twice: run as written (twice, in the order the docs give them), it leaves one of
each."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from tests.component.api.conftest import Api, Tenant

DOCS = Path(__file__).parents[3] / "docs"
HOST = "https://cron.example.org"
CREATES = re.compile(r"/api/v1/(workflows|schedules|alert-channels)(/by-name/[^/?]+)?$")


def curl_commands(text: str) -> list[list[str]]:
    """The ``curl`` commands of the shell blocks of a Markdown text, as argument lists."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip().startswith("curl "):
                commands.append(shlex.split(line))
    return commands


def creating(args: list[str]) -> tuple[str, str, Any] | None:
    """(method, path, JSON body) of a command that creates or updates a named resource."""
    method, url, data = "GET", "", None
    for flag, value in zip(args, [*args[1:], ""], strict=True):
        if flag == "-X":
            method = value
        elif flag == "-d":
            data = json.loads(value)
        elif flag.startswith(HOST):
            url = flag.removeprefix(HOST)
    if method in ("POST", "PUT") and CREATES.search(url):
        return method, url, data
    return None


def docs_examples() -> list[tuple[str, str, Any]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for args in curl_commands(page.read_text()):
            example = creating(args)
            if example is not None:
                found.append(example)
    return found


def test_the_docs_create_a_workflow_a_schedule_and_an_alert_channel_by_name() -> None:
    kinds = {re.sub(r"/by-name/.*", "", path) for _, path, _ in docs_examples()}
    assert kinds == {"/api/v1/workflows", "/api/v1/schedules", "/api/v1/alert-channels"}


def test_every_docs_example_that_creates_something_is_safe_to_run_twice(
    api: Api, acme: Tenant
) -> None:
    examples = docs_examples()
    workflows: list[int] = []
    for _ in range(2):
        for method, path, body in examples:
            if "workflow_id" in body and workflows:
                # The docs' workflow has id 1 on a new server; here it has the id it was given.
                body = {**body, "workflow_id": workflows[-1]}
            response = acme.admin.request(method, path, json=body)
            assert response.status_code in (200, 201), (method, path, response.text)
            if path.startswith("/api/v1/workflows"):
                workflows.append(response.json()["id"])
    for resource in ("workflows", "schedules", "alert-channels"):
        items = acme.viewer.get(f"/api/v1/{resource}").json()["items"]
        names = [item["name"] for item in items if item["name"] != "ping"]  # the tenant's own
        assert len(names) == len(set(names)) == 1, (resource, names)
