"""The dashboard in a real headless Chromium: ``serve --demo`` on 127.0.0.1, sign in with the
demo key, read the schedules, a schedule and a finished run as a person would, and keep a
screenshot.

Chromium is Debian's (/usr/bin/chromium, or $CRONWRIGHT_CHROMIUM), driven by the ``playwright``
package; Playwright's own browser download is never used. Without a browser the test skips,
unless ``CRONWRIGHT_REQUIRE_BROWSER=1`` (CI), which makes the absence a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.system.e2e.processes import BANNER, KEY, Process, environment

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.slow

REQUIRE_BROWSER = os.environ.get("CRONWRIGHT_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CRONWRIGHT_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that reaches for the network on its own (it is closed here).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"a browser is required (CRONWRIGHT_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(f"no browser: {reason}")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        unavailable(f"the playwright package does not import: {exc}")
    if shutil.which(CHROMIUM) is None:
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            # A persistent context gives Chromium the fresh --user-data-dir it wants.
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1280, "height": 900},
            )
        except Error as exc:
            unavailable(f"{CHROMIUM} does not start: {exc}")
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    process = Process(["serve", "--demo", "--port", "0"], cwd=tmp_path, env=environment())
    try:
        url = process.wait_for_output(BANNER).group(1)
        token = process.wait_for_output(KEY).group(1)
        yield url, token
        process.signal(signal.SIGTERM)
        assert process.wait() == 0, process.describe()
    finally:
        process.stop()


def test_sign_in_and_read_schedules_and_runs_in_chromium(
    browser: BrowserContext, served: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, token = served
    page = browser.new_page()
    page.goto(f"{url}/")  # the root sends a browser to the dashboard, which asks for a key
    expect(page).to_have_url(f"{url}/ui/signin")
    expect(page).to_have_title(re.compile("Sign in"))

    page.fill("#api_key", "cw_not_a_real_key")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("not valid")

    page.fill("#api_key", token)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/ui/")
    expect(page.locator("header .who")).to_contain_text("demo")
    cookie = next(c for c in browser.cookies() if c["name"] == "cronwright_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/ui")

    page.click("nav >> text=Schedules")
    expect(page).to_have_url(f"{url}/ui/schedules")
    rows = page.locator("#schedules tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("hello every 10 seconds")
    expect(rows.nth(0)).to_contain_text("Every 10 seconds")
    expect(rows.nth(1)).to_contain_text("health check every 15 seconds")
    expect(rows.nth(1)).to_contain_text("*/15 * * * * *")
    page.screenshot(path=str(tmp_path / "schedules.png"), full_page=True)

    page.click("text=health check every 15 seconds")
    expect(page.locator("h1")).to_have_text("health check every 15 seconds")
    expect(page.locator("#preview tbody tr")).to_have_count(10)
    expect(page.get_by_role("button", name="Pause")).to_be_enabled()

    # The demo's http step calls this very server: wait for one to succeed, then open it.
    page.goto(f"{url}/ui/runs?state=succeeded")
    for _ in range(60):
        if page.locator("tbody tr a").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.locator("tbody tr a").first.click()
    expect(page.locator("h1")).to_contain_text("succeeded")
    expect(page.locator("#steps tbody")).to_contain_text("succeeded")
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)

    page.click("header >> text=Sign out")
    expect(page).to_have_url(f"{url}/ui/signin")
    page.goto(f"{url}/ui/schedules")
    expect(page).to_have_url(f"{url}/ui/signin")
    assert (tmp_path / "schedules.png").stat().st_size > 10_000
