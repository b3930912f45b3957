"""Login CSRF in a real headless Chromium: a page on another site (``localhost`` is another site
than ``127.0.0.1``) auto-posts the attacker's key to the dashboard's sign-in, and a sign-out.
The visitor must stay as they were: signed out in the first case, signed in in the second."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from cronwright.testing.server import ServerThread
from tests.component.security.edge import Edge, Tenant
from tests.system.e2e.test_dashboard_browser import browser  # noqa: F401 - the Chromium fixture

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow


class EvilSite:
    """Serves one page that posts a form to ``target`` as soon as it loads."""

    def __init__(self) -> None:
        self.target = ""
        self.fields: dict[str, str] = {}
        self.server = ServerThread(Starlette(routes=[Route("/", self.page)]))

    def page(self, request: Request) -> HTMLResponse:
        inputs = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in self.fields.items()
        )
        return HTMLResponse(
            f'<!doctype html><form method="post" action="{escape(self.target)}">{inputs}</form>'
            "<script>document.forms[0].submit()</script>"
        )

    @property
    def url(self) -> str:
        # The same loopback server, named so that the browser counts it as another site.
        return self.server.url.replace("127.0.0.1", "localhost") + "/"


@pytest.fixture
def evil() -> Iterator[EvilSite]:
    site = EvilSite()
    with site.server:
        yield site


def visit_and_wait_for_the_post(page: Page, evil: EvilSite) -> None:
    with page.expect_response(lambda response: response.url == evil.target):
        page.goto(evil.url)


def session_cookies(context: BrowserContext) -> list[str]:
    return [c["value"] for c in context.cookies() if c["name"] == "cronwright_session"]


def test_another_site_cannot_sign_a_visitor_in_to_its_organization(
    browser: BrowserContext,  # noqa: F811 - the fixture imported above
    edge: Edge,
    acme: Tenant,
    evil: EvilSite,
) -> None:
    page = browser.new_page()
    page.goto(f"{edge.url}/ui/signin")  # the visitor has our sign-in page open in another tab
    attacker = edge.client()
    evil.target = f"{edge.url}/ui/signin"
    evil.fields = {"api_key": acme.tokens["admin"], "csrf": edge.signin_form(attacker)}
    visit_and_wait_for_the_post(page, evil)
    assert session_cookies(browser) == []
    page.goto(f"{edge.url}/ui/")
    assert page.url == f"{edge.url}/ui/signin"


def test_another_site_cannot_sign_a_visitor_out(
    browser: BrowserContext,  # noqa: F811 - the fixture imported above
    edge: Edge,
    acme: Tenant,
    evil: EvilSite,
) -> None:
    page = browser.new_page()
    page.goto(f"{edge.url}/ui/signin")
    page.fill("#api_key", acme.tokens["viewer"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{edge.url}/ui/")
    assert session_cookies(browser) == [acme.tokens["viewer"]]
    evil.target = f"{edge.url}/ui/signout"
    evil.fields = {}
    visit_and_wait_for_the_post(page, evil)
    assert session_cookies(browser) == [acme.tokens["viewer"]]
    page.goto(f"{edge.url}/ui/")
    assert page.url == f"{edge.url}/ui/"
    # Our own sign-out button still works.
    page.click("header >> text=Sign out")
    page.wait_for_url(f"{edge.url}/ui/signin")
    assert session_cookies(browser) == []
