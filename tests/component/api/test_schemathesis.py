"""Schema-driven testing of the live server with schemathesis, every phase: the document's
examples, its boundaries (coverage), generated valid and invalid requests (fuzzing), and
stateful sequences that follow the document's OpenAPI links, so operations on a schedule,
workflow, alert channel or API key run on one the sequence created, not on made-up ids.

Every check schemathesis has: no 5xx, only documented statuses, bodies and headers that fit the
schema, requests the schema forbids refused, requests it allows accepted, 405 with ``Allow``...
A request the schema allows may still break a rule the schema cannot state (a cron expression
that does not parse, a workflow whose steps form a cycle, an e-mail channel aimed at a URL):
those are 422, and the configuration below says where. A stale ``If-Match`` (412) and a
conflict with the current state (409) are answers about the state, not the request.

Bounded in examples per operation so the run takes a few minutes on a busy machine.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cronwright import actions, domain
from cronwright.api import Container, create_app
from cronwright.clock import FakeClock
from cronwright.service import throttle
from cronwright.testing.server import ServerThread
from tests.component.api.conftest import STEPS, T0
from tests.conftest import fresh_database_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[3]
MAX_EXAMPLES = 15
# Rules beyond JSON Schema, checked by the service: cron syntax and time zones (schedules), the
# steps' DAG, kinds and configs (workflows), a target that fits the channel's kind, a range whose
# end comes after its start (runs, backfills), a template's document and its parameters' values
# (templates: each is tried as a workflow and a schedule).
RULES_BEYOND_THE_SCHEMA = "^/api/v1/(schedules|workflows|alert-channels|runs|templates)"
CONFIG = f"""
hooks = "tests.component.api.schemathesis_hooks"
continue-on-failure = true
# Instants are RFC 3339 text and a pattern for 1970-2199: generating both filters many drafts.
suppress-health-check = ["filter_too_much"]

[generation]
deterministic = true
allow-x00 = false  # no string may hold NUL (PostgreSQL cannot store it): refused everywhere

[phases.stateful.inference]
algorithms = []  # follow the links the document publishes, not guessed ones

[checks.missing_required_header]
# The one required header is If-Match, whose absence is 428 Precondition Required (RFC 6585).
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "429"]

[[operations]]
include-path-regex = "{RULES_BEYOND_THE_SCHEMA}"
checks.positive_data_acceptance.expected-statuses = [
  "2xx", "401", "403", "404", "409", "412", "422", "429",
]
"""
# The fuzzer sends bad keys on purpose; with the production limits it would lock itself out.
UNLIMITED = throttle.Allowance(failures=10**9, per=timedelta(seconds=1))


@pytest.fixture(scope="module")
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, int]]:
    """A server over SQLite with one organization, its workflow and schedule:
    ``(url, token, key id)``."""
    url = fresh_database_url(request, "sqlite", Path(tmp_path_factory.mktemp("fuzz")))
    clock = FakeClock(T0)
    container = Container.from_url(
        url, clock=clock, check_config=actions.config_checker(allow_shell=False)
    )
    limits = throttle.FailedAuthThrottle(clock, per_address=UNLIMITED, per_key_prefix=UNLIMITED)
    container = dataclasses.replace(container, throttle=limits)
    service = container.service
    org = service.organizations.create("fuzz")
    issued = service.organizations.issue_api_key(org.id, name="fuzz", role=domain.Role.ADMIN)
    workflow = service.workflows.create(org.id, name="w", definition=STEPS)
    service.schedules.create(
        org.id,
        domain.ScheduleSpec(workflow_id=workflow.id, name="s", cron="0 3 * * *"),
        author="fuzz",
    )
    with ServerThread(create_app(container)) as server:
        yield server.url, issued.token, issued.key.id
    container.close()


def test_the_live_api_conforms_to_its_schema_in_every_phase(
    live: tuple[str, str, int], tmp_path: Path
) -> None:
    url, token, key_id = live
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{url}/api/v1/openapi.json",
        "--phases=examples,coverage,fuzzing,stateful",
        "--checks=all",
        f"--max-examples={MAX_EXAMPLES}",
        "--header",
        f"Authorization: Bearer {token}",
        "--workers=1",
    ]
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CRONWRIGHT_FUZZ_KEY_ID": str(key_id),
        "SCHEMATHESIS_HOOKS": "tests.component.api.schemathesis_hooks",
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=900
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "Authentication failed" not in report, report  # every operation ran as the admin
    assert "API Links:" in report, report
    assert " 0 covered" not in report, report  # the stateful phase followed links
