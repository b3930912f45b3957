"""Shell steps run only for the organizations the operator lists (not at a tenant's say), with
an environment of their own: nothing of the worker's, not even through ``/proc``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cronwright import actions, domain, settings
from cronwright.actions import shell
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog
from tests.component.engine.conftest import Bench
from tests.component.security.conftest import T0, V1, SecuredApi, serve_api
from tests.conftest import fresh_database_url

TRUSTED = "trusted-ops"


def shell_workflow(*argv: str) -> dict[str, Any]:
    return {
        "name": "backup",
        "definition": {"steps": [{"name": "run", "kind": "shell", "config": {"argv": list(argv)}}]},
    }


@pytest.fixture
def shell_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecuredApi]:
    """Shell allowed on the hosts, for one organization by name and one by id."""
    yield from serve_api(
        request, tmp_path, shell_actions="true", shell_organizations=f"{TRUSTED}, 2"
    )


def test_only_the_organizations_the_operator_lists_may_save_shell_steps(
    shell_api: SecuredApi,
) -> None:
    trusted = shell_api.organization(TRUSTED)  # id 1, listed by name
    by_id = shell_api.organization()  # id 2, listed by id
    tenant = shell_api.organization()  # not listed
    assert by_id.org.id == 2
    for org in (trusted, by_id):
        created = org.editor.post(f"{V1}/workflows", json=shell_workflow("true"))
        assert created.status_code == 201, created.text
    refused = tenant.admin.post(f"{V1}/workflows", json=shell_workflow("cat", "/etc/passwd"))
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "definition.steps[0].kind"
    assert "CRONWRIGHT_SHELL_ORGANIZATIONS" in error["message"]
    # Nor by an edit of a workflow it has.
    created = tenant.editor.post(
        f"{V1}/workflows",
        json={
            "name": "w",
            "definition": {"steps": [{"name": "x", "kind": "python", "config": {"function": "f"}}]},
        },
    )
    assert created.status_code == 201, created.text
    edited = tenant.editor.patch(
        f"{V1}/workflows/{created.json()['id']}",
        json={"definition": shell_workflow("id")["definition"]},
    )
    assert edited.status_code == 422, edited.text


def test_no_organization_may_until_the_operator_lists_one(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for api in serve_api(request, tmp_path, shell_actions="true"):
        org = api.organization()
        refused = org.admin.post(f"{V1}/workflows", json=shell_workflow("true"))
        assert refused.status_code == 422, refused.text


def bench_with(request: pytest.FixtureRequest, tmp_path: Path, gate: str) -> Bench:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    request.addfinalizer(store.close)
    bench = Bench(store, FakeClock(T0))  # its organization is "acme"
    actions.install_default_actions(
        bench.registry,
        allow_shell=True,
        trigger_port=None,
        shell_gate=shell.ShellGate.parse(gate, lambda org_id: store.get_organization(org_id).name),
    )
    return bench


@pytest.mark.parametrize("gate", ["", "other-org", "999"])
def test_a_worker_refuses_shell_steps_of_an_unlisted_organization(
    request: pytest.FixtureRequest, tmp_path: Path, gate: str
) -> None:
    """A workflow saved before the operator took the organization off the list, say."""
    bench = bench_with(request, tmp_path, gate)
    marker = tmp_path / "ran"
    run = bench.run(
        [{"name": "s", "kind": "shell", "config": {"argv": ["touch", str(marker)]}}], max_attempts=1
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is domain.RunState.FAILED
    assert bench.steps(run)[0].error == shell.NOT_FOR_ORGANIZATION
    assert not marker.exists()


@pytest.mark.parametrize("gate", ["acme", "1", "*"])
def test_a_listed_organization_runs_its_shell_steps(
    request: pytest.FixtureRequest, tmp_path: Path, gate: str
) -> None:
    bench = bench_with(request, tmp_path, gate)
    marker = tmp_path / "ran"
    run = bench.run(
        [{"name": "s", "kind": "shell", "config": {"argv": ["touch", str(marker)]}}], max_attempts=1
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is domain.RunState.SUCCEEDED, bench.steps(run)[0].error
    assert marker.exists()


# A worker process as bootstrap builds it: shell allowed, secrets in its environment.
WORKER = """
import json, sys, threading
from datetime import UTC, datetime, timedelta
from cronwright import actions, domain
from cronwright.actions import StepContext
from cronwright.actions.base import RunContext
from cronwright.bootstrap import node
from cronwright.clock import SystemClock
from cronwright.store.slots import slot_ledger
from cronwright.store.catalog import sql_catalog

store = sql_catalog.SqlCatalog.from_url(sys.argv[1])
registry = actions.default_registry(actions.PythonFunctions())
node.install_actions(
    registry, store, slot_ledger.SqlSlotLedger(store.engine), SystemClock(), allow_shell=True
)
results = {}
for name, argv in json.loads(sys.argv[2]).items():
    step = domain.Step(name=name, kind="shell", config={"argv": argv})
    outcome = registry.build(step).run(StepContext(
        run_id=domain.RunId(1), attempt=1, step=name, input={}, upstream={},
        timeout=timedelta(seconds=30), org_id=domain.OrganizationId(1),
        run=RunContext.bare(datetime(2026, 3, 2, tzinfo=UTC), domain.Trigger.MANUAL),
    ))
    results[name] = {"output": outcome.output, "error": outcome.error}
import ctypes
results["dumpable"] = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
print(json.dumps(results))
"""


def test_a_shell_step_sees_nothing_of_the_workers_environment(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url(request, "sqlite", tmp_path)
    secrets = {
        "CRONWRIGHT_SMTP_PASSWORD": "smtp-secret-8a8a",
        "CRONWRIGHT_DATABASE_URL": "postgresql://cron:db-secret-9b9b@db/cron",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-7c7c",
    }
    steps = {
        "env": ["env"],
        "parent": ["sh", "-c", 'cat "/proc/$PPID/environ"'],
        "worker": ["sh", "-c", f"cat /proc/{'{pid}'}/environ"],
    }
    script = WORKER.replace("results = {}", "results = {}\nimport os\nPID = str(os.getpid())")
    script = script.replace(
        "json.loads(sys.argv[2]).items()", 'json.loads(sys.argv[2].replace("{pid}", PID)).items()'
    )
    done = subprocess.run(
        [sys.executable, "-c", script, url, json.dumps(steps)],
        env={**os.environ, **secrets},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)
    env_output = results["env"]["output"]
    assert env_output is not None, results["env"]
    for value in secrets.values():
        assert value not in json.dumps(env_output)
    names = {line.split("=", 1)[0] for line in env_output["stdout"].splitlines()}
    assert names == set(shell.MINIMAL_ENV)
    # Non-dumpable: the kernel closes the worker's /proc/<pid>/environ (and memory) to the
    # other processes of its user, such as shell steps (proc(5)). Root reads it regardless.
    assert results["dumpable"] == 0
    if os.geteuid() != 0:
        for name in ("parent", "worker"):
            assert results[name]["error"] is not None
            for value in secrets.values():
                assert value not in json.dumps(results[name])


def test_the_shell_setting_lists_organizations() -> None:
    gate = settings.Settings(shell_organizations=" ops , 7").shell_gate
    assert gate.entries == frozenset({"ops", "7"})
    assert gate.allows(domain.OrganizationId(7))
    assert not gate.allows(domain.OrganizationId(8))
    assert settings.Settings().shell_gate.is_empty
