"""``cronwright apply``: create, change, a second apply that changes nothing, prune, the dry-run
diff, and invalid files that change nothing and say where they are wrong."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright import domain, errors, service
from cronwright.clock import SystemClock
from cronwright.store.catalog import sql_catalog
from tests.component.store.populate import dump

runner = CliRunner()

FILE = """\
organization: acme
workflows:
  - name: report
    steps:
      - name: fetch
        kind: http
        config: {url: "https://example.org/report"}
  - name: cleanup
    steps:
      - {name: sweep, kind: http, config: {url: "https://example.org/sweep"}}
schedules:
  - name: nightly
    workflow: report
    cron: "0 3 * * *"
    timezone: Europe/Berlin
    input: {region: eu}
    misfire_grace: 5m
  - name: hourly
    workflow: report
    cron: "0 * * * *"
  - name: sweep
    workflow: cleanup
    cron: "15 4 * * SUN"
    overlap: skip
    max_attempts: 5
"""


def apply(url: str, path: Path, *args: str) -> tuple[int, str]:
    from cronwright.cli import app

    result = runner.invoke(app, ["apply", str(path), "--url", url, *args])
    return result.exit_code, result.stdout + result.stderr


def write(tmp_path: Path, text: str, name: str = "acme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def state(url: str) -> dict[str, dict[str, object]]:
    """The organization's live schedules by name, with their workflow's name and version."""
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        svc = service.Service.build(store, SystemClock())
        [org] = [o for o in store.list_organizations() if o.name == "acme"]
        workflows = {w.id: w for w in svc.workflows.list(org.id, limit=500).items}
        return {
            s.spec.name: {
                "workflow": workflows[s.spec.workflow_id].name,
                "cron": s.spec.cron,
                "timezone": s.spec.timezone,
                "paused": s.spec.paused,
                "version": s.version,
                "authors": [e.author for e in svc.schedules.events(org.id, s.id)],
            }
            for s in svc.schedules.list(org.id, limit=500).items
        }
    finally:
        store.close()


def test_create_change_reapply_and_prune(database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, FILE)

    code, out = apply(database_url, path)
    assert code == 0, out
    assert out.splitlines() == [
        '+ organization "acme"',
        '+ workflow "report"',
        '+ workflow "cleanup"',
        '+ schedule "nightly"',
        '+ schedule "hourly"',
        '+ schedule "sweep"',
        "applied 6 change(s)",
    ]
    created = state(database_url)
    assert created["nightly"] == {
        "workflow": "report",
        "cron": "0 3 * * *",
        "timezone": "Europe/Berlin",
        "paused": False,
        "version": 1,
        "authors": [f"apply:{path}"],
    }

    # The same file again: nothing to do, nothing written.
    before = dump(database_url)
    code, out = apply(database_url, path)
    assert (code, out) == (0, 'organization "acme" already matches the file\n')
    assert dump(database_url) == before

    # Change one schedule, move another to a new workflow, drop one from the file.
    changed = (
        FILE.replace('cron: "0 * * * *"', 'cron: "30 * * * *"')
        .replace("misfire_grace: 5m", "misfire_grace: 90s")
        .replace("  - name: sweep\n    workflow: cleanup", "  - name: sweep\n    workflow: audit")
        .replace(
            "schedules:\n", "  - name: audit\n    steps: [{name: a, kind: http}]\nschedules:\n"
        )
    )
    dropped = (
        changed.replace('  - name: hourly\n    workflow: report\n    cron: "30 * * * *"\n', "")
        .replace("  - name: cleanup\n    steps:\n", "")
        .replace(
            '      - {name: sweep, kind: http, config: {url: "https://example.org/sweep"}}\n', ""
        )
    )
    path.write_text(changed)
    code, out = apply(database_url, path)
    assert code == 0, out
    assert out.splitlines() == [
        '+ workflow "audit"',
        '~ schedule "nightly": misfire_grace 5m -> 1m30s',
        '~ schedule "hourly": cron "0 * * * *" -> "30 * * * *"',
        '~ schedule "sweep": workflow "cleanup" -> "audit"',
        "applied 4 change(s)",
    ]
    after = state(database_url)
    assert after["hourly"]["cron"] == "30 * * * *"
    assert after["hourly"]["version"] == 2
    assert after["sweep"]["workflow"] == "audit"

    # Without --prune a schedule the file no longer names stays; with it, it goes.
    path.write_text(dropped)
    code, out = apply(database_url, path)
    assert (code, out) == (0, 'organization "acme" already matches the file\n')
    code, out = apply(database_url, path, "--prune")
    assert code == 0, out
    assert out.splitlines() == [
        '- workflow "cleanup"',
        '- schedule "hourly"',
        "applied 2 change(s)",
    ]
    assert sorted(state(database_url)) == ["nightly", "sweep"]
    assert apply(database_url, path, "--prune") == (
        0,
        'organization "acme" already matches the file\n',
    )


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path, sqlite_url: str) -> None:
    path = write(tmp_path, FILE)
    assert apply(sqlite_url, path)[0] == 0
    path.write_text(
        FILE.replace('cron: "0 * * * *"', 'cron: "30 * * * *"').replace(
            "timezone: Europe/Berlin", "timezone: Asia/Tokyo\n    paused: true"
        )
    )
    before = dump(sqlite_url)

    code, out = apply(sqlite_url, path, "--dry-run")
    assert code == 0, out
    assert out.splitlines() == [
        '~ schedule "nightly": timezone "Europe/Berlin" -> "Asia/Tokyo", paused false -> true',
        '~ schedule "hourly": cron "0 * * * *" -> "30 * * * *"',
        "dry run: 2 change(s) not applied",
    ]
    code, out = apply(
        sqlite_url,
        write(tmp_path, "organization: acme\n", "empty.yaml"),
        "--dry-run",
        "--prune",
        "--json",
    )
    assert code == 0, out
    assert json.loads(out) == {
        "organization": "acme",
        "dry_run": True,
        "changes": [
            '- workflow "report"',
            '- workflow "cleanup"',
            '- schedule "nightly"',
            '- schedule "hourly"',
            '- schedule "sweep"',
        ],
    }
    assert dump(sqlite_url) == before


def test_pausing_is_left_to_operators_unless_the_file_says(tmp_path: Path, sqlite_url: str) -> None:
    path = write(tmp_path, FILE)
    assert apply(sqlite_url, path)[0] == 0
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    svc = service.Service.build(store, SystemClock())
    [org] = store.list_organizations()
    [hourly] = [s for s in svc.schedules.list(org.id).items if s.spec.name == "hourly"]
    svc.schedules.pause(org.id, hourly.id, author="oncall")
    store.close()

    assert apply(sqlite_url, path) == (0, 'organization "acme" already matches the file\n')
    path.write_text(FILE.replace('cron: "0 * * * *"', 'cron: "0 * * * *"\n    paused: false'))
    assert apply(sqlite_url, path) == (
        0,
        '~ schedule "hourly": paused true -> false\napplied 1 change(s)\n',
    )
    assert state(sqlite_url)["hourly"]["authors"] == [
        f"apply:{path}",
        "oncall",
        f"apply:{path}",
    ]


INVALID = [
    pytest.param(
        FILE.replace('cron: "15 4 * * SUN"', 'cron: "60 4 * * SUN"'),
        "acme.yaml:25: schedules[2].cron: minute: 60 is out of range 0-59 (column 1)",
        id="cron",
    ),
    pytest.param(
        FILE.replace("timezone: Europe/Berlin", "timezone: Mars/Olympus"),
        "acme.yaml:17: schedules[0].timezone: unknown time zone 'Mars/Olympus'",
        id="zone",
    ),
    pytest.param(
        FILE.replace("workflow: cleanup", "workflow: nowhere"),
        "acme.yaml:24: schedules[2].workflow: no workflow named 'nowhere' in the file or "
        "the organization",
        id="reference",
    ),
    pytest.param(
        FILE.replace("kind: http\n        config", "kind: ftp\n        config"),
        "acme.yaml:6: workflows[0].steps[0].kind: unknown step kind 'ftp'",
        id="step-kind",
    ),
    pytest.param(
        FILE.replace("- name: sweep\n    workflow", "- name: hourly\n    workflow"),
        "acme.yaml:23: schedules[2].name: schedule name 'hourly' is already used by "
        "schedules[1] (line 20)",
        id="duplicate-name",
    ),
    pytest.param(
        FILE.replace('cron: "15 4 * * SUN"', 'cron: "0 * * * *"').replace(
            "workflow: cleanup", "workflow: report"
        ),
        "acme.yaml:23: schedules[2]: same workflow, cron, time zone and input as schedules[1]",
        id="duplicate-identity",
    ),
    pytest.param(
        FILE.replace("misfire_grace: 5m", "misfire_grace: soon"),
        "acme.yaml:19: schedules[0].misfire_grace: 'soon' is not a duration",
        id="duration",
    ),
    pytest.param(
        FILE.replace("    overlap: skip", "    overlap: sometimes"),
        "acme.yaml:26: schedules[2].overlap: 'sometimes' is not one of allow, skip",
        id="policy",
    ),
    pytest.param(
        FILE.replace("    max_attempts: 5", "    retries: 5"),
        "acme.yaml:27: schedules[2].retries: unknown field 'retries'",
        id="unknown-field",
    ),
    pytest.param(
        FILE.replace("input: {region: eu}", "input: {region: eu, since: 2026-01-01}"),
        "acme.yaml:18: schedules[0].input.since: 2026-01-01 is read as a date; quote it",
        id="yaml-date",
    ),
    pytest.param(
        FILE.replace('cron: "0 * * * *"', "cron: */5 * * * *"),
        "acme.yaml:22: ",
        id="yaml-alias",
    ),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_an_invalid_file_changes_nothing_and_says_where(
    tmp_path: Path, sqlite_url: str, text: str, message: str
) -> None:
    path = write(tmp_path, FILE)
    assert apply(sqlite_url, path)[0] == 0
    # Valid changes come before the error in the file: none of them may be written.
    path.write_text(
        text.replace('cron: "0 3 * * *"', 'cron: "0 2 * * *"').replace(
            "schedules:\n", "  - name: extra\n    steps: [{name: a, kind: http}]\nschedules:\n", 1
        )
    )
    before = dump(sqlite_url)

    code, out = apply(sqlite_url, path)

    assert code == 2, out
    assert out.startswith(f"error: {tmp_path / message}"), out
    assert dump(sqlite_url) == before


def test_a_new_organization_with_an_error_is_not_created(tmp_path: Path, sqlite_url: str) -> None:
    path = write(tmp_path, FILE.replace('cron: "0 * * * *"', 'cron: "0 25 * * *"'))
    code, out = apply(sqlite_url, path)
    assert code == 2
    assert "schedules[1].cron: hour: 25 is out of range 0-23" in out
    assert dump(sqlite_url)["organizations"] == []


def test_json_files_have_line_numbers_too(tmp_path: Path, sqlite_url: str) -> None:
    document = {
        "organization": "acme",
        "workflows": [{"name": "w", "steps": [{"name": "s", "kind": "http"}]}],
        "schedules": [{"name": "s", "workflow": "w", "cron": "0 0 31 2 *"}],
    }
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(document, indent=2))
    code, out = apply(sqlite_url, path)
    assert code == 2
    assert out == f"error: {path}:18: schedules[0].cron: '0 0 31 2 *' never fires\n"
    path.write_text('{"organization": "acme",\n "schedules": [}')
    code, out = apply(sqlite_url, path)
    assert (code, out) == (2, f"error: {path}:2: Expecting value\n")


def test_quota_is_checked_before_writing(tmp_path: Path, sqlite_url: str) -> None:
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    service.Service.build(store, SystemClock()).organizations.create("acme", max_schedules=2)
    store.close()
    code, out = apply(sqlite_url, write(tmp_path, FILE))
    assert code == 2
    assert "acme.yaml:11: schedules: the organization would have 3 schedules; its quota is 2" in out
    assert dump(sqlite_url)["workflows"] == []


def test_names_are_identity_so_the_database_holds_no_duplicates_to_apply_to(
    tmp_path: Path, sqlite_url: str
) -> None:
    store = sql_catalog.SqlCatalog.from_url(sqlite_url)
    svc = service.Service.build(store, SystemClock())
    org = svc.organizations.create("acme")
    workflow = svc.workflows.create(
        org.id, name="report", definition={"steps": [{"name": "s", "kind": "http"}]}
    )
    first = svc.schedules.create(
        org.id,
        domain.ScheduleSpec(workflow_id=workflow.id, name="hourly", cron="0 1 * * *"),
        author="t",
    )
    with pytest.raises(errors.ScheduleConflict) as caught:
        svc.schedules.create(
            org.id,
            domain.ScheduleSpec(workflow_id=workflow.id, name="hourly", cron="0 2 * * *"),
            author="t",
        )
    assert caught.value.same_name == first.id
    assert caught.value.same_schedule is None
    store.close()


def test_a_rename_needs_prune(tmp_path: Path, sqlite_url: str) -> None:
    path = write(tmp_path, FILE)
    assert apply(sqlite_url, path)[0] == 0
    path.write_text(FILE.replace("- name: nightly", "- name: nightly-eu"))
    code, out = apply(sqlite_url, path)
    assert code == 2
    assert out.endswith(
        "schedules[0]: same workflow, cron, time zone and input as schedule 'nightly' (id 1), "
        "which the file does not name\n"
    )
    code, out = apply(sqlite_url, path, "--prune")
    assert (code, out) == (
        0,
        '+ schedule "nightly-eu"\n- schedule "nightly"\napplied 2 change(s)\n',
    )


def test_the_example_in_the_docs_applies(tmp_path: Path, sqlite_url: str) -> None:
    docs = Path(__file__).parents[3] / "docs" / "apply.md"
    example = docs.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, example)
    code, out = apply(sqlite_url, path)
    assert code == 0, out
    assert out.splitlines() == [
        '+ organization "acme"',
        '+ workflow "nightly-report"',
        '+ schedule "nightly"',
        '+ schedule "hourly-sync"',
        "applied 4 change(s)",
    ]
    assert state(sqlite_url)["hourly-sync"]["paused"] is True
    assert apply(sqlite_url, path) == (0, 'organization "acme" already matches the file\n')


def test_trigger_steps_must_target_a_workflow_the_organization_has(
    tmp_path: Path, sqlite_url: str
) -> None:
    chained = FILE.replace(
        '      - {name: sweep, kind: http, config: {url: "https://example.org/sweep"}}',
        "      - {name: then, kind: trigger, config: {workflow_id: WORKFLOW}}",
    )
    path = write(tmp_path, chained.replace("WORKFLOW", "1"), "chained.yaml")
    code, out = apply(sqlite_url, path)  # a new organization has no workflow 1 yet
    assert code == 2
    assert out == (
        f"error: {path}:10: workflows[1].steps[0].config: "
        "workflow_id: no workflow 1 in this organization\n"
    )
    assert dump(sqlite_url)["organizations"] == []

    assert apply(sqlite_url, write(tmp_path, FILE))[0] == 0  # "report" is workflow 1
    assert apply(sqlite_url, path) == (
        0,
        '~ workflow "cleanup": + step "then", - step "sweep"\napplied 1 change(s)\n',
    )
    path.write_text(chained.replace("WORKFLOW", "99"))
    code, out = apply(sqlite_url, path)
    assert code == 2
    assert "workflows[1].steps[0].config: workflow_id: no workflow 99" in out
