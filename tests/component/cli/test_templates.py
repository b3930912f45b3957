"""``cronwright templates`` as a user runs it: a subprocess over a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.component.cli.conftest import cronwright


def _org(url: str) -> None:
    done = cronwright("org", "create", "acme", "--url", url)
    assert done.returncode == 0, done.stderr


def test_list_show_and_use_make_a_schedule_that_records_its_template(sqlite_url: str) -> None:
    _org(sqlite_url)
    listed = cronwright("templates", "list", "--url", sqlite_url, "--json")
    assert listed.returncode == 0, listed.stderr
    assert "weekly-digest" in [item["name"] for item in json.loads(listed.stdout)["items"]]
    shown = cronwright("templates", "show", "retainer-invoice", "--url", sqlite_url)
    assert shown.returncode == 0, shown.stderr
    assert "0 9 1W * *" in shown.stdout
    used = cronwright(
        "templates", "use", "retainer-invoice", "--org", "acme", "--name", "acme-retainer",
        "-p", "invoice_url=https://billing.example.org/i", "-p", "client=Acme",
        "-p", "amount=1500", "--url", sqlite_url, "--json",
    )  # fmt: skip
    assert used.returncode == 0, used.stderr
    made = json.loads(used.stdout)
    assert (made["template"], made["template_version"]) == ("retainer-invoice", 1)
    assert made["parameters"]["amount"] == 1500.0  # read as the parameter's type (number)
    schedules = cronwright("schedules", "list", "--org", "acme", "--url", sqlite_url, "--json")
    assert [s["name"] for s in json.loads(schedules.stdout)["items"]] == ["acme-retainer"]
    again = cronwright(
        "templates", "show", "retainer-invoice", "--org", "acme", "--url", sqlite_url, "--json"
    )
    assert json.loads(again.stdout)["schedules"] == [
        {"schedule_id": made["schedule_id"], "template_version": 1}
    ]


def test_a_bad_parameter_exits_2_naming_it(sqlite_url: str) -> None:
    _org(sqlite_url)
    done = cronwright(
        "templates", "use", "hourly-sync", "--org", "acme", "--name", "s",
        "-p", "sync_url=https://crm.example.org/s", "-p", "cron=61 * * * *", "--url", sqlite_url,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("error: parameters.cron: '61 * * * *': minute: 61")
    listed = cronwright("schedules", "list", "--org", "acme", "--url", sqlite_url, "--json")
    assert json.loads(listed.stdout)["items"] == []


def test_an_organization_saves_its_own_template_and_versions_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    _org(sqlite_url)
    file = tmp_path / "ping.yaml"
    file.write_text(
        "name: ping\n"
        "description: Pings a URL.\n"
        "parameters:\n"
        "  - {name: url, type: url, description: Where, example: 'https://e.org'}\n"
        "workflow:\n"
        "  steps: [{name: get, kind: http, config: {url: '{{ params.url }}'}}]\n"
        "schedule: {cron: '*/10 * * * *'}\n"
    )
    for version in (1, 2):
        saved = cronwright("templates", "save", str(file), "--org", "acme", "--url", sqlite_url)
        assert saved.returncode == 0, saved.stderr
        assert saved.stdout.strip() == f"saved ping version {version}"
    listed = cronwright("templates", "list", "--org", "acme", "--url", sqlite_url, "--json")
    own = [i for i in json.loads(listed.stdout)["items"] if i["source"] == "organization"]
    assert [(i["name"], i["version"]) for i in own] == [("ping", 2)]
