"""A workflow's versions: who saved each and what changed, two versions side by side, and
rollback for editors with the version it was read at (a change saved meanwhile wins)."""

from __future__ import annotations

import html
import re
from typing import Any

from cronwright import domain
from tests.component.web.conftest import Site, Tenant, csrf_for, csrf_of


def _steps(url: str, *, extra: bool = False) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"name": "call", "kind": "http", "config": {"url": url}}]
    if extra:
        steps.append(
            {
                "name": "notify",
                "kind": "http",
                "config": {"url": "https://example.org/n"},
                "depends_on": ["call"],
            }
        )
    return {"steps": steps}


def _versioned(site: Site, acme: Tenant) -> domain.Workflow:
    org = acme.org.id
    made = site.service.workflows.create(
        org, name="versioned", definition=_steps("https://example.org/a"), author="api-key:first"
    )
    site.service.workflows.update(
        org, made.id, definition=_steps("https://example.org/b", extra=True), author="api-key:2nd"
    )
    return site.service.workflows.get(org, made.id)


def test_versions_say_who_saved_each_and_what_changed(site: Site, acme: Tenant) -> None:
    workflow = _versioned(site, acme)
    viewer = site.signed_in(acme.tokens["viewer"])
    page = viewer.get(f"/ui/workflows/{workflow.id}").text
    table = page.split('id="versions"')[1].split("</table>")[0]
    assert table.index("api-key:2nd") < table.index("api-key:first")  # newest first
    assert "step call, step notify" in table  # what version 2 changed
    assert f"/ui/workflows/{workflow.id}/diff?old=1&amp;new=2" in table
    assert "Roll back" not in page
    assert "/rollback" not in page


def test_diff_shows_both_versions_side_by_side_with_the_changes_marked(
    site: Site, acme: Tenant
) -> None:
    workflow = _versioned(site, acme)
    viewer = site.signed_in(acme.tokens["viewer"])
    diff = viewer.get(f"/ui/workflows/{workflow.id}/diff", params={"old": 1, "new": 2}).text
    assert "2 fields changed" in diff
    call = diff.split('<th scope="row">step call')[1].split("</tr>")[0]
    assert '<span class="tag">changed</span>' in call
    assert "<del>" in call
    assert "example.org/a" in call.split("<ins>")[0]
    assert "example.org/b" in call.split("<ins>")[1]
    added = diff.split('<th scope="row">step notify')[1].split("</tr>")[0]
    assert "(absent)" in added.split("<ins>")[0]
    assert "&#34;url&#34;: &#34;https://example.org/n&#34;" in added  # indented JSON
    name = diff.split('<th scope="row">name')[1].split("</tr>")[0]
    assert "changed" not in name
    missing = viewer.get(f"/ui/workflows/{workflow.id}/diff", params={"old": 1, "new": 9})
    assert missing.status_code == 404


def test_an_editor_rolls_back_to_an_older_version(site: Site, acme: Tenant) -> None:
    workflow = _versioned(site, acme)
    editor = site.signed_in(acme.tokens["editor"])
    page = editor.get(f"/ui/workflows/{workflow.id}")
    form = {"csrf": csrf_of(page), "version": "1", "expected": str(workflow.version)}
    rolled = editor.post(f"/ui/workflows/{workflow.id}/rollback", data=form)
    assert rolled.status_code == 303, rolled.text
    after = site.service.workflows.get(acme.org.id, workflow.id)
    assert after.version == 3
    assert after.definition.steps[0].config == {"url": "https://example.org/a"}
    assert len(after.definition.steps) == 1
    newest = site.service.workflows.versions(acme.org.id, workflow.id)[-1]
    assert newest.author.startswith("api-key:")
    assert newest.author not in ("api-key:first", "api-key:2nd")


def test_a_rollback_read_before_another_save_writes_nothing(site: Site, acme: Tenant) -> None:
    workflow = _versioned(site, acme)
    editor = site.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get(f"/ui/workflows/{workflow.id}"))
    site.service.workflows.update(
        acme.org.id, workflow.id, definition=_steps("https://example.org/c"), author="api-key:x"
    )
    form = {"csrf": token, "version": "1", "expected": str(workflow.version)}
    stale = editor.post(f"/ui/workflows/{workflow.id}/rollback", data=form)
    assert stale.status_code == 409
    assert "saved version 3" in stale.text
    assert f"/ui/workflows/{workflow.id}/diff?old=2&amp;new=3" in stale.text
    after = site.service.workflows.get(acme.org.id, workflow.id)
    assert (after.version, after.definition.steps[0].config["url"]) == (3, "https://example.org/c")


def test_rollback_is_refused_without_the_form_token_or_for_a_viewer(
    site: Site, acme: Tenant
) -> None:
    workflow = _versioned(site, acme)
    editor = site.signed_in(acme.tokens["editor"])
    forged = editor.post(f"/ui/workflows/{workflow.id}/rollback", data={"version": "1"})
    assert forged.status_code == 403
    viewer = site.signed_in(acme.tokens["viewer"])
    data = {"csrf": csrf_for(acme.tokens["viewer"]), "version": "1", "expected": "2"}
    assert viewer.post(f"/ui/workflows/{workflow.id}/rollback", data=data).status_code == 403
    assert site.service.workflows.get(acme.org.id, workflow.id).version == 2


def test_secrets_in_urls_are_masked_on_the_page_the_form_and_the_diff(
    site: Site, acme: Tenant
) -> None:
    org = acme.org.id
    made = site.service.workflows.create(
        org, name="with password", definition=_steps("https://bot:hunter2@example.org/a")
    )
    site.service.workflows.update(
        org, made.id, definition=_steps("https://bot:hunter2@example.org/b")
    )
    editor = site.signed_in(acme.tokens["editor"])
    for path in (f"/ui/workflows/{made.id}", f"/ui/workflows/{made.id}/edit"):
        assert "hunter2" not in editor.get(path).text, path
    diff = editor.get(f"/ui/workflows/{made.id}/diff", params={"old": 1, "new": 2}).text
    assert "hunter2" not in diff
    assert "bot:***@example.org" in diff


def test_an_edit_sending_the_masked_url_back_keeps_its_password(site: Site, acme: Tenant) -> None:
    made = site.service.workflows.create(
        acme.org.id, name="kept password", definition=_steps("https://bot:hunter2@example.org/a")
    )
    editor = site.signed_in(acme.tokens["editor"])
    form = editor.get(f"/ui/workflows/{made.id}/edit")
    text = re.search(r'<textarea id="f-definition"[^>]*>([^<]*)</textarea>', form.text)
    assert text is not None
    shown = html.unescape(text.group(1))
    assert "bot:***@example.org" in shown
    data = {"csrf": csrf_of(form), "name": "kept password", "definition": shown, "version": "1"}
    assert editor.post(f"/ui/workflows/{made.id}/edit", data=data).status_code == 303
    after = site.service.workflows.get(acme.org.id, made.id)
    assert after.definition.steps[0].config["url"] == "https://bot:hunter2@example.org/a"
