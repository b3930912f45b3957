"""Creating and editing schedules in forms: preview, field-level errors from the service's own
validation, and an edit that someone else's edit overtook is reported, not saved over."""

from __future__ import annotations

import re

import httpx

from cronwright import domain
from tests.component.web.conftest import Site, Tenant, csrf_of


def form_of(site: Site, tenant: Tenant, **changes: str) -> dict[str, str]:
    fields = {
        "name": "nightly report",
        "workflow_id": str(tenant.workflow.id),
        "cron": "30 2 * * *",
        "timezone": "America/New_York",
        "catchup": "latest",
        "overlap": "skip",
        "dst_gap": "auto",
        "dst_fold": "auto",
        "max_attempts": "2",
        "timeout": "600",
        "input": '{"region": "us"}',
    }
    return {**fields, **changes}


def editor_with_token(site: Site, tenant: Tenant, path: str) -> tuple[httpx.Client, str]:
    editor = site.signed_in(tenant.tokens["editor"])
    page = editor.get(path)
    assert page.status_code == 200, page.text
    return editor, csrf_of(page)


def test_preview_shows_the_description_and_ten_fires_in_the_chosen_zone(
    site: Site, acme: Tenant
) -> None:
    editor, token = editor_with_token(site, acme, "/ui/schedules/new")
    page = editor.post(
        "/ui/schedules/new", data={**form_of(site, acme), "csrf": token, "op": "preview"}
    )
    assert page.status_code == 200
    assert 'id="preview-description">At 02:30</p>' in page.text
    fires = page.text.split('id="preview-fires"')[1].split("</ol>")[0]
    assert fires.count("<li>") == 10
    assert "2026-03-03 02:30:00 EST" in fires
    assert re.search(r"2026-03-08 03:00:00 EDT.*shifted", fires)  # the DST gap
    assert not site.service.schedules.list(acme.org.id).items  # a preview saves nothing
    fragment = editor.get(
        "/ui/schedules/preview", params={"cron": "0 9 * * MON-FRI", "timezone": "Asia/Tokyo"}
    )
    assert "At 09:00, Monday through Friday" in fragment.text
    assert "2026-03-03 09:00:00 JST" in fragment.text
    bad = editor.get("/ui/schedules/preview", params={"cron": "61 * * * *"})
    assert "cron: " in bad.text


def test_create_saves_the_spec_and_opens_the_schedule(site: Site, acme: Tenant) -> None:
    editor, token = editor_with_token(site, acme, "/ui/schedules/new")
    saved = editor.post(
        "/ui/schedules/new", data={**form_of(site, acme), "csrf": token, "op": "save"}
    )
    assert saved.status_code == 303, saved.text
    schedule_id = int(saved.headers["location"].rsplit("/", 1)[1])
    found = site.service.schedules.get(acme.org.id, domain.ScheduleId(schedule_id))
    assert found.spec.cron == "30 2 * * *"
    assert found.spec.overlap is domain.OverlapPolicy.SKIP
    assert found.spec.max_attempts == 2
    assert found.spec.timeout.total_seconds() == 600
    assert found.spec.input == {"region": "us"}
    assert site.service.schedules.versions(acme.org.id, found.id)[0].author.startswith("api-key:")


def test_errors_come_back_next_to_their_fields_and_keep_what_was_typed(
    site: Site, acme: Tenant
) -> None:
    editor, token = editor_with_token(site, acme, "/ui/schedules/new")
    cases = {
        "cron": ("61 * * * *", "61"),
        "timezone": ("Mars/Olympus", "unknown time zone"),
        "max_attempts": ("0", "must be between 1 and"),
        "input": ("[1, 2]", "must be a JSON object"),
        "timeout": ("soon", "is not a number"),
        "workflow_id": ("999999", "no workflow with id 999999"),
        "overlap": ("sometimes", "is not one of"),
    }
    for name, (value, message) in cases.items():
        page = editor.post(
            "/ui/schedules/new",
            data={**form_of(site, acme, **{name: value}), "csrf": token, "op": "save"},
        )
        assert page.status_code == 400, name
        error = re.search(
            rf'<p class="field-error" id="f-{name}-error" role="alert">([^<]*)<', page.text
        )
        assert error is not None, (name, page.text[-3000:])
        assert message in error.group(1), (name, error.group(1))
        assert f'aria-describedby="f-{name}-error"' in page.text
    assert not site.service.schedules.list(acme.org.id).items


def test_an_edit_saves_with_the_version_it_read_and_reports_a_concurrent_edit(
    site: Site, acme: Tenant
) -> None:
    schedule = site.schedule(acme, "edited", "0 6 * * *")
    path = f"/ui/schedules/{schedule.id}/edit"
    editor, token = editor_with_token(site, acme, path)
    page = editor.get(path).text
    assert 'name="version" value="1"' in page
    assert 'value="0 6 * * *"' in page
    # Someone else saves first.
    site.service.schedules.update(acme.org.id, schedule.id, {"cron": "0 8 * * *"}, author="other")
    values = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="\w+" value="([^"]*)"', page))
    form = {**form_of(site, acme), **values, "cron": "0 7 * * *", "version": "1", "csrf": token}
    clash = editor.post(path, data={**form, "op": "save"})
    assert clash.status_code == 409
    assert "Someone else changed this schedule" in clash.text
    assert f"/ui/schedules/{schedule.id}/diff?old=1&amp;new=2" in clash.text
    assert 'value="0 7 * * *"' in clash.text  # ours is kept
    assert site.service.schedules.get(acme.org.id, schedule.id).spec.cron == "0 8 * * *"
    # Saving again, having seen theirs, replaces it.
    again = editor.post(path, data={**form, "version": "2", "op": "save"})
    assert again.status_code == 303
    after = site.service.schedules.get(acme.org.id, schedule.id)
    assert (after.spec.cron, after.version) == ("0 7 * * *", 3)


def test_viewers_cannot_open_or_post_the_forms(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, "read only", "0 6 * * *")
    viewer = site.signed_in(acme.tokens["viewer"])
    assert "New schedule" not in viewer.get("/ui/schedules").text
    assert viewer.get("/ui/schedules/new").status_code == 403
    assert viewer.get(f"/ui/schedules/{schedule.id}/edit").status_code == 403
    from tests.component.web.conftest import csrf_for

    forged = {**form_of(site, acme), "csrf": csrf_for(acme.tokens["viewer"]), "op": "save"}
    assert viewer.post("/ui/schedules/new", data=forged).status_code == 403
    assert viewer.post("/ui/schedules/new", data={**forged, "csrf": "x"}).status_code == 403
