"""Each page shows the organization's data, escaped."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from markupsafe import escape

from cronwright import domain
from cronwright.web import schedule_routes
from tests.component.web.conftest import Site, Tenant, open_site
from tests.conftest import fresh_database_url

S = domain.RunState


def count(page: str, name: str) -> int:
    found = re.search(rf'id="{name}">(\d+)<', page)
    assert found is not None, name
    return int(found.group(1))


def test_overview_counts_runs_of_the_last_day_and_lists_what_fires_next(
    site: Site, acme: Tenant, rival: Tenant
) -> None:
    hourly = site.schedule(acme, "hourly report", "0 * * * *")
    site.schedule(acme, "paused job", "30 * * * *", paused=True)
    states = (S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.PENDING, S.PENDING)
    for minutes, state in enumerate(states, start=1):  # one slot each
        site.run(acme, state, schedule=hourly, age=timedelta(minutes=minutes))
    site.run(acme, S.PENDING, age=-timedelta(minutes=5))  # not yet available: not queued
    site.run(acme, S.FAILED, age=timedelta(days=2), error="old failure")  # outside the window
    site.run(rival, S.FAILED, error="rival failure")
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/").text
    assert count(page, "count-succeeded") == 2
    assert count(page, "count-failed") == 1
    assert count(page, "count-pending") == 3  # the future one too
    assert count(page, "queue-depth") == 2
    assert "hourly report" in page
    assert "2026-03-02 10:00:00 UTC" in page  # its next fire
    assert "paused job" not in page  # paused: no next fire
    assert "old failure" in page  # recent failures are the newest, whatever their age
    assert "rival failure" not in page


def test_schedules_table_shows_expression_description_zone_and_both_times(
    site: Site, acme: Tenant
) -> None:
    site.schedule(acme, "standup", "0 9 * * MON-FRI", timezone="America/New_York")
    site.schedule(acme, "resting", "*/5 * * * *", paused=True)
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/schedules").text
    assert "0 9 * * MON-FRI" in page
    assert "At 09:00, Monday through Friday" in page
    assert "America/New_York" in page
    assert "2026-03-02 09:00:00 EST" in page  # local
    assert "2026-03-02 14:00:00 UTC" in page  # the same instant in UTC
    assert "state-paused" in page


def test_schedules_come_in_pages_and_filter_by_name(
    site: Site, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule_routes, "SCHEDULES_PER_PAGE", 2)
    for n in range(5):
        site.schedule(acme, f"{'nightly' if n % 2 else 'hourly'} job {n}", f"{n} * * * *")
    browser = site.signed_in(acme.tokens["viewer"])
    seen: list[str] = []
    path: str | None = "/ui/schedules"
    while path is not None:
        page = browser.get(path).text
        seen += re.findall(r">((?:nightly|hourly) job \d)<", page)
        more = re.search(r'href="([^"]+)">More schedules', page)
        path = more.group(1).replace("&amp;", "&") if more else None
    assert seen == [f"{'nightly' if n % 2 else 'hourly'} job {n}" for n in range(5)]
    page = browser.get("/ui/schedules", params={"name": "NIGHTLY"}).text
    assert re.findall(r">(nightly job \d)<", page) == ["nightly job 1", "nightly job 3"]
    assert "More schedules" not in page
    page = browser.get("/ui/schedules", params={"name": "<none>"}).text
    assert "No schedule's name contains “&lt;none&gt;”." in page  # escaped


def test_schedule_page_previews_ten_fires_with_dst_marks_runs_and_versions(
    site: Site, acme: Tenant
) -> None:
    # 02:30 does not exist in New York on 2026-03-08: the fixed-time fire shifts to 03:00.
    schedule = site.schedule(acme, "early", "30 2 * * *", timezone="America/New_York")
    site.service.schedules.update(
        acme.org.id, schedule.id, {"misfire_grace": timedelta(minutes=2)}, author="someone"
    )
    run = site.run(acme, S.FAILED, schedule=schedule, error="boom")
    page = site.signed_in(acme.tokens["viewer"]).get(f"/ui/schedules/{schedule.id}").text
    preview = page.split('id="preview"')[1].split("</table>")[0]
    assert preview.count("<tr>") == 11  # a header and ten fires
    assert "2026-03-08 03:00:00 EDT" in preview
    assert re.search(r"2026-03-08 07:00:00 UTC</td><td><span class=\"dst\">shifted", preview)
    assert f'/ui/runs/{run.id}"' in page
    assert "boom" in page
    versions = page.split("<h2>Versions</h2>")[1]
    assert versions.index("someone") < versions.index(">test<")  # newest first


def test_runs_page_filters_by_state(site: Site, acme: Tenant) -> None:
    ok = site.run(acme, S.SUCCEEDED)
    bad = site.run(acme, S.TIMED_OUT)
    client = site.signed_in(acme.tokens["viewer"])
    everything = client.get("/ui/runs").text
    assert f'/ui/runs/{ok.id}"' in everything
    assert f'/ui/runs/{bad.id}"' in everything
    timed_out = client.get("/ui/runs", params={"state": "timed_out"}).text
    assert f'/ui/runs/{ok.id}"' not in timed_out
    assert f'/ui/runs/{bad.id}"' in timed_out
    assert client.get("/ui/runs", params={"state": "exploded"}).status_code == 400
    assert client.get("/ui/runs", params={"cursor": "!!"}).status_code == 400


def test_run_page_shows_steps_with_output_and_error(site: Site, acme: Tenant) -> None:
    run = site.run(acme, S.FAILED, output={"status": 503, "body": "down"}, error="HTTP 503")
    page = site.signed_in(acme.tokens["viewer"]).get(f"/ui/runs/{run.id}").text
    steps = page.split('id="steps"')[1].split("</table>")[0]
    assert "<td>call</td><td>http</td>" in steps
    assert "&#34;status&#34;: 503" in steps
    assert "HTTP 503" in steps


OUR_SCRIPT = '<script src="/ui/live.js" defer></script>'
MALICIOUS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_names_and_run_output_are_escaped(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, MALICIOUS, "0 * * * *")
    run = site.run(acme, S.FAILED, schedule=schedule, output={"html": MALICIOUS}, error=MALICIOUS)
    client = site.signed_in(acme.tokens["viewer"])
    for path in ("/ui/", "/ui/schedules", f"/ui/schedules/{schedule.id}", "/ui/runs"):
        # The one script a page may load is the dashboard's own file.
        page = client.get(path).text.replace(OUR_SCRIPT, "")
        assert "<script" not in page, path
        assert "<img" not in page, path
        assert escape(MALICIOUS) in page, path
    run_page = client.get(f"/ui/runs/{run.id}").text.replace(OUR_SCRIPT, "")
    assert "<script" not in run_page
    assert "<img" not in run_page
    assert "&lt;script&gt;" in run_page


@pytest.mark.postgres
def test_pages_render_on_postgresql(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    for pg_site in open_site(fresh_database_url(request, "postgres", tmp_path)):
        tenant = pg_site.tenant()
        schedule = pg_site.schedule(tenant, "pg job", "*/5 * * * *", timezone="Europe/Berlin")
        run = pg_site.run(tenant, S.SUCCEEDED, schedule=schedule, output={"ok": True})
        client = pg_site.signed_in(tenant.tokens["viewer"])
        assert count(client.get("/ui/").text, "count-succeeded") == 1
        assert "Every 5 minutes" in client.get("/ui/schedules").text
        assert "CET" in client.get(f"/ui/schedules/{schedule.id}").text
        assert "&#34;ok&#34;: true" in client.get(f"/ui/runs/{run.id}").text


def test_overview_charts_runs_per_hour_and_lists_failing_schedules(
    site: Site, acme: Tenant
) -> None:
    flaky = site.schedule(acme, "flaky", "*/5 * * * *")
    steady = site.schedule(acme, "steady", "*/7 * * * *")
    for minutes in (5, 10, 70):
        site.run(acme, S.FAILED, schedule=flaky, age=timedelta(minutes=minutes), error="down")
    site.run(acme, S.SUCCEEDED, schedule=steady, age=timedelta(minutes=7))
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/").text
    chart = page.split('<svg class="chart"')[1].split("</svg>")[0]
    assert (
        'aria-label="Runs per hour over the last 24 hours: 4 in all, at most 3 in one hour"'
        in chart
    )
    assert "<title>09:00 UTC: 2 failed</title>" in chart  # 09:20 and 09:25
    assert "<title>09:00 UTC: 1 succeeded</title>" in chart
    assert "<title>08:00 UTC: 1 failed</title>" in chart  # 08:20
    failing = page.split('id="failing"')[1].split("</table>")[0]
    assert f'href="/ui/schedules/{flaky.id}">flaky</a></td><td>3</td>' in failing
    assert "steady" not in failing


def test_the_live_script_is_served_by_the_package_under_the_csp(site: Site, acme: Tenant) -> None:
    client = site.signed_in(acme.tokens["viewer"])
    page = client.get("/ui/runs")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert 'data-live="runs"' in page.text
    script = client.get("/ui/live.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "data-live" in script.text
