"""Admin pages: quotas read only, API keys (the secret shown once, revoke), alert channels
(create, test-send, the delivery log); none of it for editors or viewers."""

from __future__ import annotations

import re

import pytest

from cronwright import domain, errors
from tests.component.web.conftest import Site, Tenant, csrf_for, csrf_of


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(site: Site, acme: Tenant) -> None:
    admin = site.signed_in(acme.tokens["admin"])
    page = admin.get("/ui/admin")
    assert page.status_code == 200
    quotas = page.text.split('id="quotas"')[1].split("</dl>")[0]
    assert "0 of at most 1000" in quotas
    created = admin.post(
        "/ui/admin/keys", data={"csrf": csrf_of(page), "name": "ci deploys", "role": "editor"}
    )
    assert created.status_code == 201
    token = re.search(
        r'id="new-key" class="secret" readonly size="60" value="([^"]+)"', created.text
    )
    assert token is not None
    assert created.headers["cache-control"] == "no-store"
    key = site.service.organizations.authenticate(token.group(1))
    assert (key.name, key.role) == ("ci deploys", domain.Role.EDITOR)
    again = admin.get("/ui/admin").text
    assert token.group(1) not in again  # never shown again
    assert "ci deploys" in again
    revoked = admin.post(f"/ui/admin/keys/{key.id}/revoke", data={"csrf": csrf_of(page)})
    assert revoked.status_code == 303
    with pytest.raises(errors.AuthenticationFailed):
        site.service.organizations.authenticate(token.group(1))
    assert "revoked" in admin.get("/ui/admin").text.split(">ci deploys<")[1].split("</tr>")[0]


def test_a_bad_key_name_or_role_is_reported_at_its_field(site: Site, acme: Tenant) -> None:
    admin = site.signed_in(acme.tokens["admin"])
    token = csrf_of(admin.get("/ui/admin"))
    bad_role = admin.post("/ui/admin/keys", data={"csrf": token, "name": "x", "role": "god"})
    assert bad_role.status_code == 400
    assert 'id="key-role-error" role="alert">must be one of admin, editor, viewer' in bad_role.text
    bad_name = admin.post("/ui/admin/keys", data={"csrf": token, "name": " ", "role": "viewer"})
    assert bad_name.status_code == 400
    assert 'id="key-name-error" role="alert">' in bad_name.text


def test_an_admin_creates_a_channel_test_sends_and_reads_the_delivery_log(
    site: Site, acme: Tenant
) -> None:
    admin = site.signed_in(acme.tokens["admin"])
    token = csrf_of(admin.get("/ui/admin"))
    bad = admin.post(
        "/ui/admin/channels",
        data={
            "csrf": token,
            "name": "ops",
            "kind": "webhook",
            "target": "ftp://x",
            "event.run_failed": "1",
        },
    )
    assert bad.status_code == 400
    assert 'id="channel-target-error" role="alert">must be an http or https URL' in bad.text
    made = admin.post(
        "/ui/admin/channels",
        data={
            "csrf": token,
            "name": "ops",
            "kind": "webhook",
            "target": "http://127.0.0.1:9/hook",  # nothing listens: the test send fails
            "event.run_failed": "1",
            "secret": "hush-hush",
        },
    )
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    page = admin.get(path).text
    assert "hush-hush" not in page
    assert "set (not shown)" in page
    assert "Nothing sent yet." in page
    tested = admin.post(f"{path}/test", data={"csrf": token})
    assert tested.status_code == 303
    log = admin.get(tested.headers["location"]).text
    assert "Test alert failed" in log
    rows = log.split('id="deliveries"')[1].split("</table>")[0]
    assert "<td>failed</td>" in rows


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_admin_pages_and_forms_need_an_admin(site: Site, acme: Tenant, role: str) -> None:
    client = site.signed_in(acme.tokens[role])
    assert 'href="/ui/admin"' not in client.get("/ui/").text
    assert client.get("/ui/admin").status_code == 403
    forged = {"csrf": csrf_for(acme.tokens[role]), "name": "sneaky", "role": "admin"}
    assert client.post("/ui/admin/keys", data=forged).status_code == 403
    names = [k.name for k in site.service.organizations.list_api_keys(acme.org.id)]
    assert "sneaky" not in names
