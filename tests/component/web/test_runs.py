"""The runs list (columns, combinable filters in the URL, paging both ways) and the retry and
cancel buttons."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cronwright import domain
from cronwright.web import run_routes
from tests.component.web.conftest import Site, Tenant, csrf_for, csrf_of

S = domain.RunState


def run_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/ui/runs/(\d+)">#', page)]


def row_of(page: str, run_id: int) -> str:
    return page.split(f'<td><a href="/ui/runs/{run_id}">#{run_id}</a>')[1].split("</tr>")[0]


def test_rows_name_the_schedule_workflow_trigger_attempt_slot_and_duration(
    site: Site, acme: Tenant
) -> None:
    nightly = site.schedule(acme, "nightly export", "0 3 * * *")
    slot = site.run(acme, S.FAILED, schedule=nightly, error="boom")
    retried = site.container.triggers.retry_run(acme.org.id, slot.id)
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/runs").text
    row = row_of(page, slot.id)
    assert f'href="/ui/schedules/{nightly.id}">nightly export</a>' in row
    assert f'href="/ui/workflows/{acme.workflow.id}">ping</a>' in row
    assert "<td>schedule</td>" in row
    assert "<td>0/1</td>" in row  # attempt of max attempts
    assert "2026-03-02 09:25:15 UTC" in row  # the slot
    retry_row = row_of(page, retried.id)
    assert f'retry of <a href="/ui/runs/{slot.id}">#{slot.id}</a>' in retry_row


def test_filters_combine_and_stay_in_the_paging_links(
    site: Site, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_routes, "RECENT_RUNS", 2)
    first = site.schedule(acme, "first", "0 * * * *")
    second = site.schedule(acme, "second", "30 * * * *")
    wanted = [
        site.run(acme, S.FAILED, schedule=first, age=timedelta(minutes=m)) for m in range(1, 6)
    ]
    site.run(acme, S.SUCCEEDED, schedule=first, age=timedelta(minutes=10))  # other state
    site.run(acme, S.FAILED, schedule=second)  # other schedule
    site.run(acme, S.FAILED)  # manual
    site.run(acme, S.FAILED, schedule=first, age=timedelta(hours=3))  # before the range
    client = site.signed_in(acme.tokens["viewer"])
    params = {
        "schedule": str(first.id),
        "state": "failed",
        "trigger": "schedule",
        "workflow": str(acme.workflow.id),
        "since": "2026-03-02T08:00",
    }
    seen: list[int] = []
    pages: list[str] = []
    url: str | None = "/ui/runs?" + "&".join(f"{k}={v}" for k, v in params.items())
    while url is not None:
        page = client.get(url).text
        pages.append(url)
        seen += run_ids(page)
        older = re.search(r'href="([^"]+)" rel="next"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        if url is not None:
            assert "state=failed" in url
            assert f"schedule={first.id}" in url
    assert seen == sorted((r.id for r in wanted), reverse=True)
    # From the last page, "newer" walks back to the first, page by page.
    back: list[int] = []
    url = pages[-1]
    while url is not None:
        page = client.get(url).text
        back = run_ids(page) + back if back else run_ids(page)
        newer = re.search(r'href="([^"]+)" rel="prev"', page)
        url = newer.group(1).replace("&amp;", "&") if newer else None
    assert sorted(back, reverse=True) == seen


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "exploded"), ("trigger", "cosmic"), ("schedule", "x1"), ("since", "yesterday")],
)
def test_a_bad_filter_is_a_400_naming_the_field(
    site: Site, acme: Tenant, field: str, value: str
) -> None:
    response = site.signed_in(acme.tokens["viewer"]).get("/ui/runs", params={field: value})
    assert response.status_code == 400
    assert f"{field}: " in response.text


def test_editors_retry_a_failed_run_and_cancel_a_pending_one(site: Site, acme: Tenant) -> None:
    failed = site.run(acme, S.FAILED, error="boom")
    pending = site.run(acme, S.PENDING)
    editor = site.signed_in(acme.tokens["editor"])
    page = editor.get("/ui/runs")
    assert f'action="/ui/runs/{failed.id}/retry"' in page.text
    assert f'action="/ui/runs/{pending.id}/cancel"' in page.text
    assert f'action="/ui/runs/{failed.id}/cancel"' not in page.text  # ended: nothing to cancel
    nightly = site.schedule(acme, "retried from its page", "0 3 * * *")
    slot = site.run(acme, S.FAILED, schedule=nightly)
    schedule_page = editor.get(f"/ui/schedules/{nightly.id}").text
    assert f'action="/ui/runs/{slot.id}/retry"' in schedule_page.split('id="recent-runs"')[1]
    token = csrf_of(page)
    assert editor.post(f"/ui/runs/{failed.id}/retry", data={}).status_code == 403  # no token
    retried = editor.post(f"/ui/runs/{failed.id}/retry", data={"csrf": token})
    assert retried.status_code == 303
    new_id = int(retried.headers["location"].rsplit("/", 1)[1])
    new = site.service.runs.get(acme.org.id, domain.RunId(new_id))
    assert (new.trigger, new.state) == (domain.Trigger.RETRY, S.PENDING)
    cancelled = editor.post(f"/ui/runs/{pending.id}/cancel", data={"csrf": token})
    assert cancelled.status_code == 303
    assert site.service.runs.get(acme.org.id, pending.id).state is S.CANCELLED
    # Cancelling it again is a conflict, retrying a pending run too: both say why.
    again = editor.post(f"/ui/runs/{pending.id}/cancel", data={"csrf": token})
    assert again.status_code == 409
    not_failed = editor.post(f"/ui/runs/{new_id}/retry", data={"csrf": token})
    assert not_failed.status_code == 409
    assert "only failed, timed out or cancelled runs" in not_failed.text


def test_viewers_see_no_run_buttons_and_a_forged_post_is_refused(
    site: Site, acme: Tenant, rival: Tenant
) -> None:
    failed = site.run(acme, S.FAILED)
    viewer = site.signed_in(acme.tokens["viewer"])
    page = viewer.get("/ui/runs")
    assert "/retry" not in page.text
    forged = {"csrf": csrf_for(acme.tokens["viewer"])}  # even with the right token
    assert viewer.post(f"/ui/runs/{failed.id}/retry", data=forged).status_code == 403
    theirs = site.run(rival, S.FAILED)
    editor = site.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get("/ui/runs"))
    assert editor.post(f"/ui/runs/{theirs.id}/retry", data={"csrf": token}).status_code == 404
