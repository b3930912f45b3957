"""Workflows: list, page with the step graph and masked header values, and the definition form
with errors that name the path at fault."""

from __future__ import annotations

import json
import re

from cronwright import domain
from tests.component.web.conftest import STEPS, Site, Tenant, csrf_for, csrf_of

GRAPH = {
    "steps": [
        {
            "name": "fetch",
            "kind": "http",
            "config": {
                "url": "https://example.org/a",
                "headers": {"Authorization": "Bearer s3cret"},
            },
        },
        {
            "name": "left",
            "kind": "http",
            "config": {"url": "https://example.org/b"},
            "depends_on": ["fetch"],
        },
        {
            "name": "right",
            "kind": "http",
            "config": {"url": "https://example.org/c"},
            "depends_on": ["fetch"],
        },
    ]
}


def test_list_and_page_draw_the_step_graph_and_mask_header_values(site: Site, acme: Tenant) -> None:
    flow = site.service.workflows.create(acme.org.id, name="fan out", definition=GRAPH)
    schedule = site.schedule(acme, "uses ping", "0 * * * *")
    client = site.signed_in(acme.tokens["viewer"])
    listing = client.get("/ui/workflows").text
    assert f'href="/ui/workflows/{flow.id}">fan out</a>' in listing
    page = client.get(f"/ui/workflows/{flow.id}").text
    assert "s3cret" not in page
    assert "&#34;Authorization&#34;: &#34;••••••••&#34;" in page
    graph = page.split('<svg class="chart"')[1].split("</svg>")[0]
    assert 'aria-label="Step graph: 3 steps in 2 stages"' in graph
    assert graph.count('class="node"') == 3
    assert graph.count('class="edge"') == 2
    assert "<title>left (http), after fetch</title>" in graph
    ping = client.get(f"/ui/workflows/{acme.workflow.id}").text
    assert f'href="/ui/schedules/{schedule.id}">uses ping</a>' in ping


def test_errors_name_the_path_in_the_definition(site: Site, acme: Tenant) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get("/ui/workflows/new"))
    broken = json.loads(json.dumps(GRAPH))
    broken["steps"][1]["config"]["url"] = "not a url"
    page = editor.post(
        "/ui/workflows/new", data={"csrf": token, "name": "bad", "definition": json.dumps(broken)}
    )
    assert page.status_code == 400
    error = re.search(r'id="f-definition-error" role="alert">([^<]+)<', page.text)
    assert error is not None
    assert error.group(1).startswith("definition.steps[1].config")
    syntax = editor.post(
        "/ui/workflows/new", data={"csrf": token, "name": "bad", "definition": '{"steps": ['}
    )
    assert "definition: not JSON" in syntax.text
    assert "line 1, column" in syntax.text
    assert not [w for w in site.service.workflows.list(acme.org.id).items if w.name == "bad"]


def test_create_then_edit_keeps_masked_header_values(site: Site, acme: Tenant) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get("/ui/workflows/new"))
    made = editor.post(
        "/ui/workflows/new",
        data={"csrf": token, "name": "secretive", "definition": json.dumps(GRAPH)},
    )
    assert made.status_code == 303, made.text
    workflow_id = int(made.headers["location"].rsplit("/", 1)[1])
    form = editor.get(f"/ui/workflows/{workflow_id}/edit").text
    assert "s3cret" not in form
    text = re.search(r'<textarea id="f-definition"[^>]*>([^<]*)</textarea>', form)
    assert text is not None
    shown = json.loads(text.group(1).replace("&#34;", '"'))
    shown["steps"][2]["config"]["url"] = "https://example.org/changed"
    saved = editor.post(
        f"/ui/workflows/{workflow_id}/edit",
        data={"csrf": token, "name": "secretive", "definition": json.dumps(shown), "version": "1"},
    )
    assert saved.status_code == 303, saved.text
    after = site.service.workflows.get(acme.org.id, domain.WorkflowId(workflow_id))
    steps = after.definition.steps
    assert steps[0].config["headers"] == {"Authorization": "Bearer s3cret"}
    assert steps[2].config["url"] == "https://example.org/changed"
    versions = site.service.workflows.versions(acme.org.id, domain.WorkflowId(workflow_id))
    assert [v.version for v in versions] == [1, 2]
    assert all(v.author.startswith("api-key:") for v in versions)  # who saved each, by key
    stale = editor.post(
        f"/ui/workflows/{workflow_id}/edit",
        data={"csrf": token, "name": "secretive", "definition": json.dumps(STEPS), "version": "1"},
    )
    assert stale.status_code == 409
    assert "Someone else changed this workflow" in stale.text


def test_viewers_cannot_create_workflows(site: Site, acme: Tenant) -> None:
    viewer = site.signed_in(acme.tokens["viewer"])
    assert "New workflow" not in viewer.get("/ui/workflows").text
    assert viewer.get("/ui/workflows/new").status_code == 403
    data = {"csrf": csrf_for(acme.tokens["viewer"]), "name": "x", "definition": json.dumps(STEPS)}
    assert viewer.post("/ui/workflows/new", data=data).status_code == 403
