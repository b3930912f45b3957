"""The dashboard's main tasks in a real headless Chromium, as a user does them, against
``serve --demo`` on 127.0.0.1: sign in; create a workflow and a schedule from the forms with the
preview; watch it fire and the history strip fill; make it fail; retry a failed run; edit the
schedule, see the diff, roll back; backfill with a dry run; pause; see the workflow's versions
and their diff; make a schedule from a template (after a refused value) and see the overview
name the run no worker can execute; create and revoke keys as admin; a viewer sees no write
controls and a forged POST is refused; the runs list refreshes itself and pauses; the keyboard
starts at a skip link; the header fits a phone.

Every page visited is screenshotted into ``$CRONWRIGHT_SCREENSHOTS`` (default
``build/screenshots``, kept by CI) and checked with axe-core (vendored under tests/system/e2e/axe,
injected by Playwright): no serious or critical violation may remain.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cronwright.clock import SystemClock
from tests.system.e2e.test_dashboard_browser import browser, served  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SHOTS = Path(os.environ.get("CRONWRIGHT_SCREENSHOTS", ROOT / "build" / "screenshots"))
AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text()
AUDIT = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({rule: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


class Visit:
    """Screenshots and accessibility findings of each page, by name."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.findings: dict[str, list[Any]] = {}
        SHOTS.mkdir(parents=True, exist_ok=True)

    def record(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        found = self.page.evaluate(AUDIT)
        if found:
            self.findings[name] = found


def minute(at: Any) -> str:
    return f"{at:%Y-%m-%dT%H:%M}"


def wait_for_rows(page: Page, path: str, selector: str, count: int, seconds: int = 90) -> None:
    for _ in range(seconds):
        page.goto(path)
        if page.locator(selector).count() >= count:
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"{path}: fewer than {count} of {selector} after {seconds} s")


def test_main_tasks_end_to_end_in_chromium(
    browser: BrowserContext,  # noqa: F811 - the fixture
    served: tuple[str, str],  # noqa: F811 - the fixture
) -> None:
    from playwright.sync_api import expect

    url, token = served
    ui = f"{url}/ui"
    browser.add_init_script(script=AXE)  # every page gets axe, outside the page's own CSP
    page = browser.new_page()
    visit = Visit(page)

    # Sign in.
    page.goto(f"{ui}/signin")
    visit.record("signin")
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{ui}/")
    expect(page.locator("svg.chart")).to_be_visible()
    visit.record("overview")

    # A workflow from the form; a bad definition is reported at its path first.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    visit.record("workflows")
    page.get_by_role("link", name="New workflow").click()
    page.get_by_label("Name", exact=True).fill("e2e ping")
    broken = {"steps": [{"name": "ping", "kind": "http", "config": {"url": "nowhere"}}]}
    page.get_by_label("Definition", exact=False).fill(json.dumps(broken))
    page.get_by_role("button", name="Create workflow").click()
    expect(page.locator("#f-definition-error")).to_contain_text("definition.steps[0].config")
    visit.record("workflow-form-error")
    healthy = {
        "steps": [
            {
                "name": "ping",
                "kind": "http",
                "config": {"url": f"{url}/healthz", "headers": {"X-Token": "hunter2"}},
            }
        ]
    }
    page.get_by_label("Definition", exact=False).fill(json.dumps(healthy, indent=2))
    page.get_by_role("button", name="Create workflow").click()
    expect(page.locator("h1")).to_have_text("e2e ping")
    expect(page.locator("#definition")).not_to_contain_text("hunter2")
    workflow_path = page.url
    visit.record("workflow")

    # A schedule from the form, with the preview (button, then live as one types).
    page.get_by_role("link", name="New schedule of it").click()
    page.get_by_label("Name", exact=True).fill("e2e every 5 seconds")
    page.get_by_label("Cron expression").fill("*/5 * * * * *")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-description")).to_have_text("Every 5 seconds")
    expect(page.locator("#preview-fires li")).to_have_count(10)
    expect(page.locator("#preview-fires")).to_contain_text("CET")
    # The page was loaded anew by the preview: type once its script listens (a deferred script
    # may start after the test's first keystrokes on a busy machine).
    expect(page.locator("html")).to_have_attribute("data-script", "ready")
    page.get_by_label("Cron expression").fill("0 9 * * MON-FRI")  # the script updates it
    expect(page.locator("#preview-description")).to_contain_text(
        "At 09:00, Monday through",
        timeout=20_000,  # a debounced fetch, on a busy machine too
    )
    page.get_by_label("Cron expression").fill("*/5 * * * * *")
    expect(page.locator("#preview-description")).to_have_text("Every 5 seconds")
    visit.record("schedule-form")
    page.get_by_role("button", name="Create schedule").click()
    expect(page.locator("h1")).to_have_text("e2e every 5 seconds")
    schedule_path = page.url
    schedule_id = schedule_path.rsplit("/", 1)[1]

    # Watch it fire: the history strip fills with labelled cells.
    wait_for_rows(page, schedule_path, ".strip a.cell.state-succeeded", 2)
    expect(page.locator(".strip a.cell").first).to_have_attribute(
        "aria-label", re.compile(r"UTC: succeeded")
    )
    visit.record("schedule")

    # Make it fail: the workflow now calls a page that is not there.
    page.goto(f"{workflow_path}/edit")
    failing = {"steps": [{"name": "ping", "kind": "http", "config": {"url": f"{url}/nope"}}]}
    page.get_by_label("Definition", exact=False).fill(json.dumps(failing))
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("h1")).to_have_text("e2e ping")
    failed_runs = f"{ui}/runs?schedule={schedule_id}&state=failed"
    wait_for_rows(page, failed_runs, "#runs tbody tr td a[href*='/runs/']", 1)
    expect(page.locator("#runs tbody tr").first).to_contain_text("e2e every 5 seconds")
    visit.record("runs-failed")

    # Retry a failed run from the list: its page opens, a retry of the failed one.
    page.locator("#runs tbody tr").first.get_by_role("button", name=re.compile("Retry")).click()
    expect(page.locator("h1")).to_contain_text("Run #")
    expect(page.locator(".details")).to_contain_text("retry of #")
    visit.record("run")

    # Edit the schedule, see the diff, roll back.
    page.goto(f"{schedule_path}/edit")
    page.get_by_label("Cron expression").fill("*/7 * * * * *")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#settings")).to_contain_text("*/7 * * * * *")
    page.get_by_role("link", name="changes in v2").click()
    expect(page.locator("#diff tr.changed")).to_have_count(1)
    expect(page.locator("#diff tr.changed")).to_contain_text("*/7 * * * * *")
    visit.record("schedule-diff")
    page.get_by_role("button", name="Roll back to version 1").click()
    expect(page.locator("#settings")).to_contain_text("*/5 * * * * *")
    expect(page.locator("#events")).to_contain_text("rolled_back")

    # Backfill with a dry run first.
    now = SystemClock().now()
    page.get_by_label("From (UTC)").fill(minute(now - timedelta(minutes=30)))
    page.get_by_label("Before (UTC)").fill(minute(now - timedelta(minutes=29)))
    page.get_by_role("button", name="List the slots").click()
    expect(page.locator("h1")).to_have_text("Backfill: 12 slots to run")
    expect(page.locator("#slots tbody tr")).to_have_count(12)
    visit.record("backfill-dry-run")
    page.get_by_role("button", name="Create 12 backfill runs").click()
    expect(page.locator("h1")).to_have_text("Backfill: 12 runs created")
    page.get_by_role("link", name="See the backfill runs").click()
    expect(page).to_have_url(re.compile(r"trigger=backfill"))
    expect(page.get_by_label("Trigger")).to_have_value("backfill")
    visit.record("runs")

    # The list refreshes itself in place; the refresh can be paused (and resumed).
    expect(page.locator(".live-status")).to_contain_text("Updated", timeout=20_000)
    page.get_by_role("button", name="Pause live updates").click()
    expect(page.locator(".live-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".live-status")).to_have_text("Live updates paused.")
    page.get_by_role("button", name="Resume live updates").click()
    expect(page.locator(".live-toggle")).to_have_attribute("aria-pressed", "false")

    # On a fresh page, the keyboard's first stop is the link that skips the header.
    page.reload()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # Pause.
    page.goto(schedule_path)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("paused")

    # The workflow's versions: the edit that made it fail is version 2, and its diff names the
    # step it changed.
    page.goto(workflow_path)
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    visit.record("workflow-versions")
    page.get_by_role("link", name="changes in v2").click()
    expect(page.locator("#diff tr.changed")).to_have_count(1)
    expect(page.locator("#diff tr.changed")).to_contain_text("step ping")
    expect(page.locator("#diff")).not_to_contain_text("hunter2")
    visit.record("workflow-diff")

    # A schedule from a template: a python job that no worker of this process can run. A wrong
    # value is refused at its field first.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    expect(page.locator("#templates tbody tr")).to_have_count(12)
    visit.record("templates")
    page.get_by_role("link", name="daily-python-job").click()
    page.get_by_label("Schedule name").fill("e2e from a template")
    page.get_by_label("function", exact=True).fill("e2e.not_registered")
    page.get_by_label("timezone", exact=True).fill("Mars/Olympus")
    page.get_by_role("button", name="Create workflow and schedule").click()
    expect(page.locator("#p-timezone-error")).to_contain_text("not an IANA time zone")
    expect(page.get_by_label("function", exact=True)).to_have_value("e2e.not_registered")
    visit.record("template-form-error")
    page.get_by_label("timezone", exact=True).fill("UTC")
    page.get_by_role("button", name="Create workflow and schedule").click()
    expect(page.locator("h1")).to_have_text("e2e from a template")
    expect(page.locator("#origin")).to_contain_text("daily-python-job")
    expect(page.locator("#origin")).to_contain_text("version 1")
    visit.record("schedule-from-template")

    # Run it now: the run waits, and the overview says for what.
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("h1")).to_contain_text("Run #")
    wait_for_rows(page, f"{ui}/", "#waiting li", 1)
    expect(page.locator("#waiting")).to_contain_text("python function 'e2e.not_registered'")
    expect(page.locator("#workers .state-live")).not_to_have_count(0)
    visit.record("overview-waiting")

    # As admin: create a viewer key (shown once), create and revoke another.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_label("Name", exact=True).first.fill("e2e viewer")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create key").click()
    viewer_token = page.locator("#new-key").input_value()
    assert viewer_token.startswith("cw_")
    visit.record("admin-key-created")
    page.get_by_label("Name", exact=True).first.fill("short lived")
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("button", name="Revoke key short lived").click()
    expect(page.locator("#keys tr", has_text="short lived")).to_contain_text("revoked")
    expect(page.locator("#new-key")).to_have_count(0)  # never shown again
    visit.record("admin")

    # A viewer sees no write controls, and a forged POST is refused.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key").fill(viewer_token)
    page.get_by_role("button", name="Sign in").click()
    page.goto(schedule_path)
    expect(page.locator("main form[method=post]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("can only read")
    forged = page.request.post(f"{schedule_path}/resume", form={"csrf": "0" * 64})
    assert forged.status == 403
    page.reload()
    expect(page.locator("h1")).to_contain_text("paused")
    visit.record("schedule-viewer")
    page.goto(f"{ui}/templates/daily-python-job")
    expect(page.locator("main form[method=post]")).to_have_count(0)
    visit.record("template-viewer")
    forged = page.request.post(
        f"{ui}/templates/daily-python-job/instantiate",
        form={"csrf": "0" * 64, "schedule_name": "forged", "p.function": "x"},
    )
    assert forged.status == 403

    # On a phone the header wraps and Sign out stays on screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{ui}/")
    box = page.get_by_role("button", name="Sign out").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    visit.record("phone-overview")

    assert visit.findings == {}, json.dumps(visit.findings, indent=2)
