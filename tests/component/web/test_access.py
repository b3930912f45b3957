"""Sign-in, the session cookie, roles, CSRF and organization scoping."""

from __future__ import annotations

import pytest

from cronwright import domain
from tests.component.web.conftest import Site, Tenant, csrf_for, csrf_of

PAGES = ["/ui/", "/ui/schedules", "/ui/schedules/1", "/ui/runs", "/ui/runs/1"]


def test_the_root_sends_browsers_to_the_dashboard(site: Site) -> None:
    response = site.client().get("/")
    assert (response.status_code, response.headers["location"]) == (307, "/ui/")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_signed_in_key(site: Site, path: str) -> None:
    response = site.client().get(path)
    assert (response.status_code, response.headers["location"]) == (303, "/ui/signin")


def test_a_bad_or_revoked_key_does_not_sign_in(site: Site, acme: Tenant) -> None:
    for token in ("cw_nope_nope", acme.tokens["revoked"], ""):
        response = site.sign_in(site.client(), token)
        assert response.status_code == 401
        assert "not valid" in response.text
        assert "set-cookie" not in response.headers
    # A forged cookie is no better than none.
    forged = site.client()
    forged.cookies.set("cronwright_session", acme.tokens["revoked"])
    assert forged.get("/ui/").status_code == 303


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    site: Site, acme: Tenant
) -> None:
    client = site.client()
    response = site.sign_in(client, acme.tokens["viewer"])
    assert (response.status_code, response.headers["location"]) == (303, "/ui/")
    cookie = response.headers["set-cookie"].lower()
    assert {"httponly", "samesite=strict", "path=/ui"} <= {p.strip() for p in cookie.split(";")}
    page = client.get("/ui/")
    assert page.status_code == 200
    assert acme.org.name in page.text
    assert acme.tokens["viewer"] not in page.text  # the key never appears in a page
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    out = client.post("/ui/signout", data={"csrf": csrf_of(page)})
    assert (out.status_code, out.headers["location"]) == (303, "/ui/signin")
    assert client.get("/ui/").status_code == 303


def test_a_revoked_key_signs_the_browser_out(site: Site, acme: Tenant) -> None:
    issued = site.service.organizations.issue_api_key(
        acme.org.id, name="temp", role=domain.Role.VIEWER
    )
    client = site.signed_in(issued.token)
    assert client.get("/ui/schedules").status_code == 200
    site.service.organizations.revoke_api_key(acme.org.id, issued.key.id)
    assert client.get("/ui/schedules").status_code == 303


def test_another_organizations_rows_are_not_found(site: Site, acme: Tenant, rival: Tenant) -> None:
    theirs = site.schedule(rival, "their secret job", "0 * * * *")
    their_run = site.run(rival, schedule=theirs, output={"secret": "rival data"})
    mine = site.schedule(acme, "my job", "0 * * * *")
    client = site.signed_in(acme.tokens["admin"])
    for path in (f"/ui/schedules/{theirs.id}", f"/ui/runs/{their_run.id}", "/ui/nowhere"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text
    token = csrf_of(client.get(f"/ui/schedules/{mine.id}"))
    assert client.post(f"/ui/schedules/{theirs.id}/pause", data={"csrf": token}).status_code == 404
    assert not site.service.schedules.get(rival.org.id, theirs.id).spec.paused
    for path in ("/ui/", "/ui/schedules", "/ui/runs"):
        page = client.get(path).text
        assert "their secret job" not in page
        assert f'/ui/runs/{their_run.id}"' not in page


def test_viewers_see_no_write_controls_and_cannot_act(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, "nightly", "0 3 * * *")
    viewer = site.signed_in(acme.tokens["viewer"])
    page = viewer.get(f"/ui/schedules/{schedule.id}")
    assert "can only read" in page.text
    assert 'method="post" action="/ui/schedules' not in page.text
    # Even a request carrying the session's own token is refused.
    token = csrf_for(acme.tokens["viewer"])
    response = viewer.post(f"/ui/schedules/{schedule.id}/pause", data={"csrf": token})
    assert response.status_code == 403
    assert not site.service.schedules.get(acme.org.id, schedule.id).spec.paused


def test_editors_pause_resume_and_trigger_with_a_csrf_token(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, "nightly", "0 3 * * *")
    editor = site.signed_in(acme.tokens["editor"])
    path = f"/ui/schedules/{schedule.id}"
    page = editor.get(path)
    assert 'type="submit">Pause' in page.text
    # Without the form's token (as a forged cross-site form would be), nothing happens.
    for data in ({}, {"csrf": "0" * 64}):
        assert editor.post(f"{path}/pause", data=data).status_code == 403
    assert not site.service.schedules.get(acme.org.id, schedule.id).spec.paused
    token = csrf_of(page)
    paused = editor.post(f"{path}/pause", data={"csrf": token})
    assert (paused.status_code, paused.headers["location"]) == (303, path)
    assert site.service.schedules.get(acme.org.id, schedule.id).spec.paused
    assert "Resume" in editor.get(path).text
    assert editor.post(f"{path}/resume", data={"csrf": token}).status_code == 303
    assert not site.service.schedules.get(acme.org.id, schedule.id).spec.paused
    triggered = editor.post(f"{path}/trigger", data={"csrf": token})
    assert triggered.status_code == 303
    run_path = triggered.headers["location"]
    run_page = editor.get(run_path)
    assert run_page.status_code == 200
    assert "manual" in run_page.text
    assert editor.post(f"{path}/explode", data={"csrf": token}).status_code == 404
    # Another key's token does not fit this key's session.
    other = site.signed_in(acme.tokens["admin"])
    assert other.post(f"{path}/pause", data={"csrf": token}).status_code == 403
