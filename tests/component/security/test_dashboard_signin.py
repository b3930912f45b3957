"""Login CSRF: another site must not sign a visitor in to the attacker's organization (by posting
the attacker's key to /ui/signin) nor sign them out. Over real HTTP, with the headers a browser
sends; the browser itself is in test_dashboard_signin_browser.py."""

from __future__ import annotations

import httpx
import pytest

from tests.component.security.edge import Edge, Tenant, csrf_of, same_origin

EVIL = "https://evil.example"


def signed_in_to(client: httpx.Client) -> bool:
    """Whether the client's cookie opens the dashboard."""
    return client.get("/ui/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},  # a browser that leaves Origin out
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page too
        {"Origin": EVIL},  # a browser without Fetch Metadata
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame elsewhere
    ],
    ids=["origin-and-fetch-site", "fetch-site", "same-site", "origin", "null-origin"],
)
def test_a_sign_in_posted_from_another_site_is_refused(
    edge: Edge, acme: Tenant, headers: dict[str, str]
) -> None:
    victim = edge.client(follow_redirects=False)
    # Even with a valid form token (the attacker may have one of their own), the browser's word
    # that another site posted the form is final.
    form = {"api_key": acme.tokens["admin"], "csrf": edge.signin_form(victim)}
    response = victim.post("/ui/signin", data=form, headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "cronwright_session" not in response.headers.get("set-cookie", "")
    assert not signed_in_to(victim)


def test_a_sign_in_without_the_pages_token_is_refused(edge: Edge, acme: Tenant) -> None:
    """An old browser sends neither Origin nor Sec-Fetch-Site: the form token decides."""
    victim = edge.client(follow_redirects=False)
    for form in (
        {"api_key": acme.tokens["admin"]},  # no token
        {"api_key": acme.tokens["admin"], "csrf": "0" * 64},  # a made-up one
    ):
        edge.signin_form(victim)  # the victim has a sign-in nonce of their own
        response = victim.post("/ui/signin", data=form)
        assert response.status_code == 403, response.text
        assert not signed_in_to(victim)
    # The attacker's own token (from their own visit) is worthless in the victim's browser.
    attacker = edge.client()
    stolen = {"api_key": acme.tokens["admin"], "csrf": edge.signin_form(attacker)}
    fresh = edge.client(follow_redirects=False)
    assert fresh.post("/ui/signin", data=stolen).status_code == 403
    fresh.cookies.set("cronwright_signin", "a nonce of the victim's own")
    assert fresh.post("/ui/signin", data=stolen).status_code == 403
    assert not signed_in_to(fresh)


def test_a_sign_in_from_our_own_page_works(edge: Edge, acme: Tenant) -> None:
    client = edge.client(follow_redirects=False)
    page = client.get("/ui/signin")
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("cronwright_signin=")
    assert {"httponly", "samesite=strict", "path=/ui"} <= {p.strip() for p in cookie.split(";")}
    form = {"api_key": acme.tokens["viewer"], "csrf": csrf_of(page)}
    response = client.post("/ui/signin", data=form, headers=same_origin(edge.url))
    assert (response.status_code, response.headers["location"]) == (303, "/ui/")
    assert signed_in_to(client)
    # Our pages send no referrer, so the browser's Origin for them is "null": that is no word.
    nulled = edge.client(follow_redirects=False)
    form = {"api_key": acme.tokens["viewer"], "csrf": edge.signin_form(nulled)}
    headers = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert nulled.post("/ui/signin", data=form, headers=headers).status_code == 303
    # A browser that sends no Fetch Metadata and no Origin still signs in with the token.
    plain = edge.client(follow_redirects=False)
    form = {"api_key": acme.tokens["viewer"], "csrf": edge.signin_form(plain)}
    assert plain.post("/ui/signin", data=form).status_code == 303


def test_a_sign_out_posted_from_another_site_is_refused(edge: Edge, acme: Tenant) -> None:
    victim = edge.signed_in(acme.tokens["viewer"])
    token = csrf_of(victim.get("/ui/"))
    for headers, form in (
        ({"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, {"csrf": token}),
        ({}, {}),  # no token at all
        ({}, {"csrf": "0" * 64}),
    ):
        response = victim.post("/ui/signout", data=form, headers=headers)
        assert response.status_code == 403, response.text
        assert "cronwright_session" not in response.headers.get("set-cookie", "")
        assert signed_in_to(victim)
    out = victim.post("/ui/signout", data={"csrf": token}, headers=same_origin(edge.url))
    assert (out.status_code, out.headers["location"]) == (303, "/ui/signin")
    assert not signed_in_to(victim)


def test_schedule_forms_refuse_another_sites_posts_too(edge: Edge, acme: Tenant) -> None:
    schedule = edge.schedule(acme)
    editor = edge.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get(f"/ui/schedules/{schedule.id}"))
    cross = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
    response = editor.post(
        f"/ui/schedules/{schedule.id}/pause", data={"csrf": token}, headers=cross
    )
    assert response.status_code == 403
    assert not edge.service.schedules.get(acme.org.id, schedule.id).spec.paused
