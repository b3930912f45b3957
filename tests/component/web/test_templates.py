"""The templates library: shipped and the organization's own templates, a template's page with
its typed parameters, and the form that makes a workflow and a schedule from it, with errors
from the API's validation next to their field."""

from __future__ import annotations

import re

import httpx

from cronwright import domain, templates
from tests.component.web.conftest import Site, Tenant, csrf_for, csrf_of

DIGEST = "/ui/templates/weekly-digest"
GOOD = {
    "schedule_name": "team digest",
    "source_url": "https://reports.example.org/digest",
    "webhook_url": "https://chat.example.org/hook",
    "title": "Weekly digest",
    "cron": "0 8 * * MON",
    "timezone": "Europe/London",
}


def _own_template(site: Site, tenant: Tenant) -> None:
    document = templates.find_shipped("hourly-sync")
    assert document is not None
    saved = document.to_json() | {"name": "our-sync", "description": "Our own sync."}
    site.container.templates.save(tenant.org.id, saved, author="api-key:test")


def test_the_list_shows_shipped_templates_and_the_organizations_own(
    site: Site, acme: Tenant, rival: Tenant
) -> None:
    _own_template(site, acme)
    viewer = site.signed_in(acme.tokens["viewer"])
    listing = viewer.get("/ui/templates").text
    for shipped in templates.shipped():
        assert f'href="/ui/templates/{shipped.name}"' in listing
    assert 'href="/ui/templates/our-sync"' in listing
    assert "<td>organization</td>" in listing.split("our-sync</a>")[1].split("</tr>")[0]
    other = site.signed_in(rival.tokens["viewer"])
    assert "our-sync" not in other.get("/ui/templates").text
    assert other.get("/ui/templates/our-sync").status_code == 404


def test_a_template_page_lists_its_typed_parameters_and_no_form_for_a_viewer(
    site: Site, acme: Tenant
) -> None:
    viewer = site.signed_in(acme.tokens["viewer"])
    page = viewer.get(DIGEST).text
    assert "Once a week, fetches a digest" in page
    table = page.split('id="parameters"')[1].split("</table>")[0]
    row = table.split("<td><code>source_url</code></td>")[1].split("</tr>")[0]
    assert "<td>url</td>" in row
    assert "required" in row
    assert "Weekly digest" in table.split("<code>title</code>")[1].split("</tr>")[0]
    assert "<form" not in page.split("</header>")[1].replace('action="/ui/signout"', "")
    assert "can only read" in page


def test_the_form_has_a_typed_field_per_parameter_with_its_default(
    site: Site, acme: Tenant
) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    page = editor.get(DIGEST).text
    assert re.search(r'<input id="p-source_url" name="p.source_url" type="url"[^>]* required', page)
    assert re.search(r'<input id="p-title" name="p.title" type="text" value="Weekly digest"', page)
    assert '<label for="p-timezone">timezone</label>' in page
    numbered = editor.get("/ui/templates/contract-renewal-reminder").text
    assert re.search(r'<input id="p-[a-z_]+" name="p\.[a-z_]+" type="number"', numbered)


def _instantiate(client: httpx.Client, token: str, values: dict[str, str]) -> httpx.Response:
    data = {
        "csrf": token,
        **{k if k == "schedule_name" else f"p.{k}": v for k, v in values.items()},
    }
    return client.post(f"{DIGEST}/instantiate", data=data)


def test_instantiating_lands_on_the_new_schedule_which_names_its_template(
    site: Site, acme: Tenant
) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    made = _instantiate(editor, csrf_of(editor.get(DIGEST)), GOOD)
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert re.fullmatch(r"/ui/schedules/\d+", location)
    page = editor.get(location).text
    origin = page.split('id="origin"')[1].split("</p>")[0]
    assert 'href="/ui/templates/weekly-digest"' in origin
    assert "version 1" in origin
    schedule_id = domain.ScheduleId(int(location.rsplit("/", 1)[1]))
    schedule = site.service.schedules.get(acme.org.id, schedule_id)
    assert (schedule.spec.name, schedule.spec.cron) == ("team digest", "0 8 * * MON")


def test_wrong_values_are_refused_next_to_their_field_and_kept(site: Site, acme: Tenant) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    token = csrf_of(editor.get(DIGEST))
    bad = _instantiate(editor, token, GOOD | {"schedule_name": "bad", "source_url": "ftp://x"})
    assert bad.status_code == 400
    assert re.search(
        r'id="p-source_url"[^>]*aria-invalid="true" aria-describedby="p-source_url-error"', bad.text
    )
    assert 'id="p-source_url-error" role="alert">must be an http:// or https:// URL' in bad.text
    assert 'value="ftp://x"' in bad.text
    missing = _instantiate(editor, token, GOOD | {"schedule_name": "bad", "webhook_url": ""})
    assert 'id="p-webhook_url-error" role="alert">is required' in missing.text
    cron = _instantiate(editor, token, GOOD | {"schedule_name": "bad", "cron": "61 * * * *"})
    assert re.search(r'id="p-cron-error" role="alert">[^<]*61', cron.text)
    assert not [s for s in site.service.schedules.list(acme.org.id).items if s.spec.name == "bad"]
    assert _instantiate(editor, token, GOOD | {"schedule_name": "taken"}).status_code == 303
    taken = _instantiate(editor, token, GOOD | {"schedule_name": "taken"})
    assert taken.status_code == 400
    assert re.search(r'id="f-schedule_name-error" role="alert">[^<]*taken', taken.text)


def test_instantiating_is_refused_without_the_form_token_or_for_a_viewer(
    site: Site, acme: Tenant
) -> None:
    editor = site.signed_in(acme.tokens["editor"])
    forged = editor.post(
        f"{DIGEST}/instantiate",
        data={"schedule_name": "forged"} | {f"p.{k}": v for k, v in GOOD.items()},
    )
    assert forged.status_code == 403
    viewer = site.signed_in(acme.tokens["viewer"])
    refused = _instantiate(
        viewer, csrf_for(acme.tokens["viewer"]), GOOD | {"schedule_name": "forged"}
    )
    assert refused.status_code == 403
    assert not [
        s for s in site.service.schedules.list(acme.org.id).items if s.spec.name == "forged"
    ]
