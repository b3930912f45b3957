"""Admin commands: organizations, API keys, schedules and runs, as tables and as JSON."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright import domain, errors, service
from cronwright.cli import app
from cronwright.cli.admin import common
from cronwright.clock import FakeClock
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from tests.component.cli.conftest import cronwright, on_terminal

runner = CliRunner()
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STEPS = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock(NOW)
    monkeypatch.setattr(common, "make_clock", lambda: clock)
    return clock


def cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--url", url])
    return result.exit_code, result.stdout + result.stderr


def cli_json(url: str, *args: str) -> object:
    code, out = cli(url, *args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def acme(sqlite_url: str) -> tuple[domain.Organization, domain.Schedule]:
    """An organization with a workflow and a schedule "nightly" (id 1)."""
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    svc = service.Service.build(store, FakeClock(NOW - timedelta(days=1)))
    org = svc.organizations.create("acme")
    workflow = svc.workflows.create(org.id, name="report", definition=STEPS)
    schedule = svc.schedules.create(
        org.id,
        domain.ScheduleSpec(
            workflow_id=workflow.id,
            name="nightly",
            cron="0 3 * * *",
            timezone="Europe/Berlin",
            input={"region": "eu"},
        ),
        author="setup",
    )
    store.close()
    return org, schedule


def test_org_create_and_list(sqlite_url: str) -> None:
    code, out = cli(sqlite_url, "org", "create", "acme", "--max-schedules", "10")
    assert (code, out) == (0, 'created organization "acme" (id 1)\n')
    assert cli_json(sqlite_url, "org", "list") == [
        {
            "id": 1,
            "name": "acme",
            "max_schedules": 10,
            "max_concurrent_runs": domain.organization.DEFAULT_MAX_CONCURRENT_RUNS,
            "schedule_count": 0,
            "created_at": NOW.isoformat(),
        }
    ]
    code, out = cli(sqlite_url, "org", "create", "acme")
    assert (code, out) == (1, "error: an organization named 'acme' exists\n")
    code, out = cli(sqlite_url, "org", "list")
    assert "acme" in out
    assert "0/10" in out


def test_apikey_token_works_once_issued_and_stops_when_revoked(sqlite_url: str) -> None:
    cli(sqlite_url, "org", "create", "acme")
    issued = cli_json(
        sqlite_url, "apikey", "create", "--org", "acme", "--name", "ci", "--role", "editor"
    )
    assert isinstance(issued, dict)
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    organizations = service.Service.build(store, FakeClock(NOW)).organizations
    assert organizations.authenticate(issued["token"]).role is domain.Role.EDITOR

    listed = cli_json(sqlite_url, "apikey", "list", "--org", "1")  # by id works too
    assert isinstance(listed, list)
    assert [(k["id"], k["name"], k["role"], k["revoked_at"]) for k in listed] == [
        (issued["id"], "ci", "editor", None)
    ]
    assert "token" not in listed[0]
    assert "secret_hash" not in listed[0]

    code, out = cli(sqlite_url, "apikey", "revoke", str(issued["id"]), "--org", "acme")
    assert (code, out) == (0, f'revoked key "ci" (id {issued["id"]}) at 2026-11-27 10:00:00 UTC\n')
    with pytest.raises(errors.AuthenticationFailed):
        organizations.authenticate(issued["token"])
    store.close()


def test_another_organizations_rows_are_not_found(
    sqlite_url: str, acme: tuple[domain.Organization, domain.Schedule]
) -> None:
    cli(sqlite_url, "org", "create", "other")
    code, out = cli(sqlite_url, "schedules", "show", "1", "--org", "other")
    assert (code, out) == (1, "error: no schedule with id 1\n")
    code, out = cli(sqlite_url, "schedules", "list", "--org", "nobody")
    assert (code, out) == (1, "error: no organization with id 'nobody'\n")


def test_schedules_list_show_pause_resume(
    sqlite_url: str, acme: tuple[domain.Organization, domain.Schedule]
) -> None:
    page = cli_json(sqlite_url, "schedules", "list", "--org", "acme")
    assert isinstance(page, dict)
    [item] = page["items"]
    assert (item["name"], item["workflow"], item["cron"], item["paused"]) == (
        "nightly",
        "report",
        "0 3 * * *",
        False,
    )
    assert item["next_fire_at"] == "2026-11-27T02:00:00+00:00"  # 03:00 CET, the day after setup
    code, table = cli(sqlite_url, "schedules", "list", "--org", "acme")
    assert code == 0
    assert "nightly" in table
    assert "Europe/Berlin" in table

    code, out = cli(sqlite_url, "schedules", "pause", "nightly", "--org", "acme")
    assert (code, out) == (0, 'schedule "nightly" paused\n')
    code, out = cli(sqlite_url, "schedules", "pause", "nightly", "--org", "acme")
    assert (code, out) == (0, 'schedule "nightly" was already paused\n')
    assert cli_json(sqlite_url, "schedules", "list", "--org", "acme", "--active") == {
        "items": [],
        "next_cursor": None,
    }
    code, out = cli(sqlite_url, "schedules", "resume", "1", "--org", "acme")
    assert (code, out) == (0, 'schedule "nightly" resumed\nnext fire: 2026-11-28 02:00:00 UTC\n')

    shown = cli_json(sqlite_url, "schedules", "show", "nightly", "--org", "acme", "-n", "2")
    assert isinstance(shown, dict)
    assert shown["description"] == "At 03:00"
    assert [fire["at"] for fire in shown["next_fires"]] == [
        "2026-11-28T02:00:00+00:00",
        "2026-11-29T02:00:00+00:00",
    ]
    assert [(e["kind"], e["author"]) for e in shown["events"]] == [
        ("created", "setup"),
        ("paused", common.author()),
        ("resumed", common.author()),
    ]
    code, out = cli(sqlite_url, "schedules", "show", "nightly", "--org", "acme")
    assert code == 0
    assert "misfire_grace" in out
    assert "10m" in out


def test_trigger_backfill_and_runs(
    sqlite_url: str, acme: tuple[domain.Organization, domain.Schedule], fixed_clock: FakeClock
) -> None:
    code, out = cli(
        sqlite_url, "schedules", "trigger", "nightly", "--org", "acme", "--input", '{"n": 1}'
    )
    assert (code, out) == (0, 'run 1 of schedule "nightly" is pending\n')
    code, out = cli(sqlite_url, "schedules", "trigger", "nightly", "--org", "acme", "--input", "[")
    assert code == 2
    assert out.startswith("error: --input: not JSON")

    window = ["--since", "2026-11-20T00:00Z", "--until", "2026-11-23T00:00Z"]
    dry = cli_json(sqlite_url, "schedules", "backfill", "1", "--org", "acme", *window, "--dry-run")
    assert isinstance(dry, dict)
    assert [slot["outcome"] for slot in dry["slots"]] == ["would_create"] * 3
    code, out = cli(sqlite_url, "schedules", "backfill", "1", "--org", "acme", *window)
    assert code == 0, out
    assert out.splitlines()[-1] == "3 created"

    runs = cli_json(sqlite_url, "runs", "list", "--org", "acme", "--schedule", "nightly")
    assert isinstance(runs, dict)
    assert [(r["trigger"], r["scheduled_for"]) for r in runs["items"]] == [
        ("backfill", "2026-11-22T02:00:00+00:00"),
        ("backfill", "2026-11-21T02:00:00+00:00"),
        ("backfill", "2026-11-20T02:00:00+00:00"),
        ("manual", "2026-11-27T10:00:00+00:00"),  # made from the schedule's version
    ]
    every = cli_json(sqlite_url, "runs", "list", "--org", "acme", "--state", "pending")
    assert isinstance(every, dict)
    assert len(every["items"]) == 4

    shown = cli_json(sqlite_url, "runs", "show", "1", "--org", "acme")
    assert isinstance(shown, dict)
    assert (shown["trigger"], shown["input"], shown["steps"]) == (
        "manual",
        {"region": "eu", "n": 1},
        [],
    )
    code, out = cli(sqlite_url, "runs", "show", "99", "--org", "acme")
    assert (code, out) == (1, "error: no run with id 99\n")


def test_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "new.db").touch()
    code, out = cli(f"sqlite:///{tmp_path / 'new.db'}", "org", "list")
    assert (code, out) == (
        1,
        f"error: the database is at revision base, not {migrations.head()}: "
        "run cronwright db upgrade\n",
    )


def test_installed_script_end_to_end(tmp_path: Path) -> None:
    """The real ``cronwright`` script, configured by environment like a deployment."""
    env = {**os.environ, "CRONWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cw.db'}"}
    assert cronwright("db", "upgrade", env=env).returncode == 0
    done = cronwright("org", "create", "acme", env=env)
    assert (done.returncode, done.stdout) == (0, 'created organization "acme" (id 1)\n')
    done = cronwright("apikey", "create", "--org", "acme", "--name", "ops", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["token"].startswith("cw_")

    path = tmp_path / "acme.yaml"
    path.write_text(
        "organization: acme\n"
        "workflows:\n  - name: w\n    steps: [{name: s, kind: http}]\n"
        "schedules:\n  - {name: hourly, workflow: w, cron: '0 * * * *'}\n"
    )
    done = cronwright("apply", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ['+ workflow "w"', '+ schedule "hourly"']
    assert done.stderr == ""  # no progress bar when not on a terminal
    done = cronwright("schedules", "list", "--org", "acme", "--json", env=env)
    assert [s["name"] for s in json.loads(done.stdout)["items"]] == ["hourly"]
    done = cronwright("apply", str(path), "--json", env=env)
    assert json.loads(done.stdout)["changes"] == []


def test_names_are_printed_as_they_are_not_as_markup(sqlite_url: str) -> None:
    cli(sqlite_url, "org", "create", "[bold]acme[/bold]")
    code, out = cli(sqlite_url, "org", "list")
    assert code == 0
    assert "[bold]acme[/bold]" in out


def test_apply_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    env = {**os.environ, "CRONWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cw.db'}"}
    assert cronwright("db", "upgrade", env=env).returncode == 0
    path = tmp_path / "acme.yaml"
    schedules = "".join(f"  - {{name: s{i}, workflow: w, cron: '{i} * * * *'}}\n" for i in range(5))
    path.write_text(
        "organization: acme\nworkflows:\n  - name: w\n    steps: [{name: s, kind: http}]\n"
        f"schedules:\n{schedules}"
    )
    code, shown = on_terminal("apply", str(path), env=env)
    assert code == 0, shown
    assert "applying acme.yaml" in shown
    assert "7/7" in shown  # organization, workflow and five schedules
    path.write_text(path.read_text().replace("'0 * * * *'", "'1-2 * * * *'"))
    assert on_terminal("apply", str(path), "--json", env=env) == (0, "")


def test_a_schedule_is_found_by_its_name_which_no_other_schedule_has(
    sqlite_url: str, acme: tuple[domain.Organization, domain.Schedule]
) -> None:
    org, first = acme
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    svc = service.Service.build(store, FakeClock(NOW))
    with pytest.raises(errors.ScheduleConflict):
        svc.schedules.create(org.id, first.spec.replace(cron="0 4 * * *"), author="t")
    svc.schedules.create(org.id, first.spec.replace(name="nightly-2", cron="0 5 * * *"), author="t")
    store.close()
    code, out = cli(sqlite_url, "schedules", "pause", "nightly-2", "--org", "acme")
    assert (code, out) == (0, 'schedule "nightly-2" paused\n')
    code, out = cli(sqlite_url, "schedules", "pause", "nightly-3", "--org", "acme")
    assert (code, out) == (1, "error: no schedule named 'nightly-3' in organization 'acme'\n")


def test_an_unreachable_database_is_one_line_not_a_traceback() -> None:
    code, out = cli("postgresql://nobody@127.0.0.1:1/none", "org", "list")
    assert code == 1
    assert out.startswith("error: cannot connect to postgresql://nobody@127.0.0.1:1/none: ")
    assert "Traceback" not in out
    assert len(out.splitlines()) == 1
