"""``cronwright apply`` through a server's API (``--api``) plans, reports and converges as it
does on the database: the docs' example files applied both ways print the same diff and leave
the same workflows, schedules and template records; a bad file fails with the same lines; a
change made by someone else between the plan and the writes is reported, not overwritten."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cronwright import domain, service
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.clock import FakeClock
from cronwright.service import declarative
from cronwright.store.catalog import sql_catalog
from cronwright.store.catalog import templates as store_templates
from tests.support.served import NOW, STEPS, Served, same_shape

DOCS = Path(__file__).parents[3] / "docs"


def example(doc: str) -> str:
    """The apply file of ``docs/<doc>``: its YAML block that starts with ``organization:``."""
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / doc).read_text(), flags=re.DOTALL)
    [text] = [block for block in blocks if block.startswith("organization: acme")]
    return str(text)


def state(url: str) -> dict[str, Any]:
    """The organization's workflows and live schedules by name, with their versions, the kinds
    of their events and the template each was made from (not when the next run is: ``H`` is
    hashed with a key of each schedule's own)."""
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        svc = service.Service.build(store, FakeClock(NOW))
        [org] = [o for o in store.list_organizations() if o.name == "acme"]
        workflows = {w.id: w for w in svc.workflows.list(org.id, limit=500).items}
        origins = store_templates.SqlTemplates(store.engine)
        schedules = {}
        for s in svc.schedules.list(org.id, limit=500).items:
            origin = origins.origin(org.id, s.id)
            schedules[s.spec.name] = {
                **schedule_schemas.ScheduleSpecOut.fields_of(s.spec),
                "workflow_id": workflows[s.spec.workflow_id].name,
                "version": s.version,
                "events": [e.kind.value for e in svc.schedules.events(org.id, s.id)],
                "template": None
                if origin is None
                else (origin.template, origin.template_version, origin.parameters),
            }
        return {
            "workflows": {w.name: (w.definition.to_json(), w.version) for w in workflows.values()},
            "schedules": schedules,
        }
    finally:
        store.close()


def both(served: Served, tmp_path: Path, text: str, *args: str) -> tuple[Any, Any]:
    """``apply`` of ``text`` (as ``acme.yaml``) on the database and through the server; each
    output checked to be the other's, but for the author."""
    path = tmp_path / "acme.yaml"
    path.write_text(textwrap.dedent(text))
    direct = served.on_database("apply", str(path), *args)
    remote = served.on_server("apply", str(path), *args)
    assert remote.exit_code == direct.exit_code, (direct.output, remote.output)
    assert same_shape(remote.output, served.prefix) == same_shape(direct.output, served.prefix)
    return direct, remote


@pytest.mark.parametrize("doc", ["apply.md", "templates.md"])
def test_the_docs_example_applies_alike_and_applying_again_changes_nothing(
    served: Served, tmp_path: Path, doc: str
) -> None:
    text = example(doc)
    before = state(served.database_url)
    dry, _ = both(served, tmp_path, text, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run:" in dry.output
    assert state(served.database_url) == state(served.served_url) == before  # nothing written

    direct, _ = both(served, tmp_path, text, "--json", "--dry-run")
    assert json.loads(direct.stdout)["changes"] == [
        line for line in dry.output.splitlines() if line[:1] in "+~-"
    ]

    applied, _ = both(served, tmp_path, text)
    assert applied.exit_code == 0, applied.output
    assert applied.output.splitlines()[-1].startswith("applied ")
    after = state(served.database_url)
    assert after == state(served.served_url)
    assert after != before

    again, _ = both(served, tmp_path, text)
    assert again.output == 'organization "acme" already matches the file\n'
    assert state(served.database_url) == state(served.served_url) == after

    pruned, _ = both(served, tmp_path, text, "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert state(served.database_url) == state(served.served_url)


def test_the_apply_example_names_each_change_through_the_api(
    served: Served, tmp_path: Path
) -> None:
    _, remote = both(served, tmp_path, example("apply.md"), "--dry-run")
    assert remote.output.splitlines() == [
        '+ workflow "nightly-report"',
        '+ schedule "hourly-sync"',
        '~ schedule "nightly": workflow "report" -> "nightly-report", misfire_grace 10m -> 5m, '
        'overlap "allow" -> "skip"',
        "dry run: 3 change(s) not applied",
    ]


BAD = """\
organization: acme
workflows:
  - name: report
    steps:
      - {name: fetch, kind: htp, config: {url: "https://example.org"}}
schedules:
  - name: nightly
    workflow: report
    cron: "60 3 * * *"
  - name: hourly
    workflow: nowhere
    cron: "0 * * * *"
  - name: nightly
    workflow: report
    cron: "0 4 * * *"
"""


def test_a_bad_file_fails_with_the_same_lines_both_ways_and_writes_nothing(
    served: Served, tmp_path: Path
) -> None:
    before = state(served.database_url)
    direct, _ = both(served, tmp_path, BAD)
    file = tmp_path / "acme.yaml"
    assert (direct.exit_code, direct.output.splitlines()) == (
        2,
        [
            f"error: {file}:5: workflows[0].steps[0].kind: unknown step kind 'htp'; known kinds: "
            "celery, http, python, shell, trigger",
            f"error: {file}:9: schedules[0].cron: minute: 60 is out of range 0-59 (column 1)",
            f"error: {file}:11: schedules[1].workflow: no workflow named 'nowhere' in the file or "
            "the organization",
            f"error: {file}:13: schedules[2].name: schedule name 'nightly' is already used by "
            "schedules[0] (line 7); names identify schedules, so each may appear once",
            f"error: 4 errors in {file}; nothing was written",
        ],
    )
    assert state(served.database_url) == state(served.served_url) == before


def test_a_file_of_another_organization_is_refused_through_the_api(
    served: Served, tmp_path: Path
) -> None:
    path = tmp_path / "other.yaml"
    path.write_text("organization: other\nworkflows: []\n")
    done = served.on_server("apply", str(path))
    assert (done.exit_code, done.output) == (
        2,
        f"error: {path}:1: organization: 'other' is not the API key's organization 'acme' "
        "(id 1); apply the file with a key of 'other'\n",
    )


def _meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Make ``change`` between the plan and the first write."""
    planned = declarative.Applier.plan

    def plan_then_change(self: declarative.Applier, *args: Any, **kwargs: Any) -> Any:
        made = planned(self, *args, **kwargs)
        change()
        return made

    monkeypatch.setattr(declarative.Applier, "plan", plan_then_change)


def _pause_nightly(url: str) -> Callable[[], None]:
    def pause() -> None:
        store = sql_catalog.SqlCatalog.from_url(url)
        svc = service.Service.build(store, FakeClock(NOW))
        [org] = [o for o in store.list_organizations() if o.name == "acme"]
        [nightly] = svc.schedules.list(org.id, domain.ScheduleFilter(name_contains="nightly")).items
        svc.schedules.pause(org.id, nightly.id, author="on-call")
        store.close()

    return pause


def _make_workflow(url: str) -> Callable[[], None]:
    def make() -> None:
        store = sql_catalog.SqlCatalog.from_url(url)
        svc = service.Service.build(store, FakeClock(NOW))
        [org] = [o for o in store.list_organizations() if o.name == "acme"]
        svc.workflows.create(org.id, name="nightly-report", definition=STEPS)
        store.close()

    return make


@pytest.mark.parametrize(
    ("meanwhile", "what"),
    [(_pause_nightly, "schedule 'nightly'"), (_make_workflow, "workflow 'nightly-report'")],
)
def test_a_change_made_between_the_plan_and_the_writes_is_reported_not_overwritten(
    served: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: Callable[[str], Callable[[], None]],
    what: str,
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(example("apply.md"))
    for target, url in (
        (served.on_database, served.database_url),
        (served.on_server, served.served_url),
    ):
        with monkeypatch.context() as patched:
            _meanwhile(patched, meanwhile(url))
            done = target("apply", str(path))
        assert (done.exit_code, done.output) == (
            1,
            f"error: {what} changed while applying; run apply again to converge\n",
        )
    changed = state(served.database_url)
    assert changed == state(served.served_url)
    if what.startswith("schedule"):
        assert changed["schedules"]["nightly"]["events"][-1] == "paused"  # kept, not overwritten
    # Applying again plans afresh from what is there now, and converges.
    both(served, tmp_path, example("apply.md"))
    again, _ = both(served, tmp_path, example("apply.md"))
    assert again.output == 'organization "acme" already matches the file\n'


SECRET = """\
organization: acme
workflows:
  - name: report
    steps:
      - name: call
        kind: http
        config:
          url: "https://example.org"
          headers: {Authorization: "Bearer s3cret", Accept: application/json}
"""


def test_a_workflow_with_secret_values_converges_through_the_api(
    served: Served, tmp_path: Path
) -> None:
    first, _ = both(served, tmp_path, SECRET)
    assert first.output.splitlines()[0] == '~ workflow "report": step "call" changed'
    assert state(served.database_url) == state(served.served_url)
    again, _ = both(served, tmp_path, SECRET)  # the API shows "***": compared masked
    assert again.output == 'organization "acme" already matches the file\n'


def test_an_unknown_template_is_an_error_of_the_file_both_ways(
    served: Served, tmp_path: Path
) -> None:
    text = """\
        organization: acme
        schedules:
          - name: site
            template: {name: no-such-template, parameters: {url: "https://e.org"}}
        """
    direct, _ = both(served, tmp_path, text)
    assert (direct.exit_code, direct.output) == (
        2,
        f"error: {tmp_path / 'acme.yaml'}:4: schedules[0].template.name: no template "
        "'no-such-template'\n",
    )
