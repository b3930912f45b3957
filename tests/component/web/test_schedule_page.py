"""A schedule's page: history strip, settings and input, versions with diff and rollback, the
audit trail, run now with input, and backfill with a dry run first."""

from __future__ import annotations

import re
from datetime import timedelta

from cronwright import domain
from tests.component.web.conftest import Site, Tenant, csrf_of

S = domain.RunState


def test_history_strip_shows_every_slot_state_with_a_glyph_and_a_labelled_reason(
    site: Site, acme: Tenant
) -> None:
    schedule = site.schedule(acme, "strip", "*/5 * * * *")
    states = [S.SUCCEEDED, S.FAILED, S.MISSED, S.SKIPPED, S.TIMED_OUT]
    for n, state in enumerate(states):
        site.run(
            acme, state, schedule=schedule, age=timedelta(minutes=5 * (5 - n)), error=f"why {n}"
        )
    site.run(acme, S.FAILED)  # manual: not a slot, not in the strip
    page = site.signed_in(acme.tokens["viewer"]).get(f"/ui/schedules/{schedule.id}").text
    strip = page.split('<ol class="strip"')[1].split("</ol>")[0]
    cells = re.findall(r'class="cell state-(\w+)"[^>]*aria-label="([^"]+)">([^<]+)<', strip)
    assert [c[0] for c in cells] == [s.value for s in states]  # oldest first
    assert [c[2] for c in cells] == ["✓", "✗", "?", "»", "◷"]  # never colour alone
    assert cells[2][1] == "2026-03-02 09:15:15 UTC: missed (why 2)"
    assert 'title="2026-03-02 09:15:15 UTC: missed (why 2)"' in strip


def test_settings_input_and_audit_trail_are_shown(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(
        acme, "with input", "0 6 * * *", input={"region": "eu"}, timeout=timedelta(minutes=5)
    )
    site.service.schedules.pause(acme.org.id, schedule.id, author="api-key:someone")
    page = site.signed_in(acme.tokens["viewer"]).get(f"/ui/schedules/{schedule.id}").text
    settings = page.split('id="settings"')[1].split("</dl>")[0]
    for label in ("Catch-up window", "Misfire grace", "Overlap", "Backoff", "Jitter"):
        assert f"<dt>{label}</dt>" in settings
    assert "<dt>Timeout</dt><dd>5 min</dd>" in settings
    assert "&#34;region&#34;: &#34;eu&#34;" in page.split('id="input"')[1]
    events = page.split('id="events"')[1].split("</table>")[0]
    assert events.index("paused") < events.index("created")  # newest first
    assert "api-key:someone" in events


def test_edit_diff_side_by_side_and_roll_back(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, "diffed", "0 6 * * *")
    site.service.schedules.update(acme.org.id, schedule.id, {"cron": "0 7 * * *"}, author="x")
    editor = site.signed_in(acme.tokens["editor"])
    page = editor.get(f"/ui/schedules/{schedule.id}")
    assert f"/ui/schedules/{schedule.id}/diff?old=1&amp;new=2" in page.text
    diff = editor.get(f"/ui/schedules/{schedule.id}/diff", params={"old": 1, "new": 2}).text
    row = diff.split('<th scope="row">cron')[1].split("</tr>")[0]
    assert '<span class="tag">changed</span>' in row
    assert '<del>"0 6 * * *"</del>' in row
    assert '<ins>"0 7 * * *"</ins>' in row
    assert "1 field changed" in diff
    rolled = editor.post(
        f"/ui/schedules/{schedule.id}/rollback", data={"csrf": csrf_of(page), "version": "1"}
    )
    assert rolled.status_code == 303
    after = site.service.schedules.get(acme.org.id, schedule.id)
    assert (after.spec.cron, after.version) == ("0 6 * * *", 3)
    assert editor.get(f"/ui/schedules/{schedule.id}/diff?old=1&new=9").status_code == 404


def test_run_now_takes_json_input_and_reports_bad_json_at_the_field(
    site: Site, acme: Tenant
) -> None:
    schedule = site.schedule(acme, "on demand", "0 6 * * *", input={"a": 1})
    editor = site.signed_in(acme.tokens["editor"])
    path = f"/ui/schedules/{schedule.id}"
    token = csrf_of(editor.get(path))
    bad = editor.post(f"{path}/trigger", data={"csrf": token, "input": '{"b": '})
    assert bad.status_code == 400
    assert 'id="trigger-input-error" role="alert">not JSON' in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert ">{&#34;b&#34;: </textarea>" in bad.text  # what was typed is kept
    not_object = editor.post(f"{path}/trigger", data={"csrf": token, "input": "[1]"})
    assert "must be a JSON object" in not_object.text
    good = editor.post(f"{path}/trigger", data={"csrf": token, "input": '{"b": 2}'})
    assert good.status_code == 303
    run_id = int(good.headers["location"].rsplit("/", 1)[1])
    run = site.service.runs.get(acme.org.id, domain.RunId(run_id))
    assert run.input == {"a": 1, "b": 2}


def test_backfill_lists_the_slots_first_then_creates_them(site: Site, acme: Tenant) -> None:
    schedule = site.schedule(acme, "hourly", "0 * * * *")
    site.run(acme, S.SUCCEEDED, schedule=schedule, age=timedelta(minutes=30, seconds=15))  # 09:00
    editor = site.signed_in(acme.tokens["editor"])
    path = f"/ui/schedules/{schedule.id}"
    token = csrf_of(editor.get(path))
    form = {"csrf": token, "since": "2026-03-02T06:00", "until": "2026-03-02T09:30"}
    dry = editor.post(f"{path}/backfill", data={**form, "dry_run": "1"})
    assert dry.status_code == 200
    assert "Backfill: 3 slots to run" in dry.text
    assert dry.text.count("would create") == 3
    assert "exists (succeeded)" in dry.text  # 09:00 already ran
    assert not site.service.runs.list(
        acme.org.id, domain.RunFilter(triggers=frozenset({domain.Trigger.BACKFILL}))
    ).items
    done = editor.post(f"{path}/backfill", data=form)
    assert "Backfill: 3 runs created" in done.text
    made = site.service.runs.list_for_schedule(
        acme.org.id, schedule.id, domain.RunFilter(triggers=frozenset({domain.Trigger.BACKFILL}))
    ).items
    assert sorted(r.scheduled_for.hour for r in made) == [6, 7, 8]
    future = editor.post(
        f"{path}/backfill", data={**form, "until": "2026-03-03T00:00", "dry_run": "1"}
    )
    assert future.status_code == 400
    assert 'id="backfill-until-error" role="alert">must not be in the future' in future.text
