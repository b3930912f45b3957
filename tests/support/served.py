"""A database and a server over an identical copy of it, for the admin commands run both ways.

``served`` (in ``tests/component/cli/conftest.py``) seeds one database, copies it, and serves
the copy over real HTTP on 127.0.0.1 with the same clock; the same command then runs on the
original (``--url``) and through the server (``--api``), and their outputs must match but for
the audit trail's author (:func:`same_shape`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner, Result

from cronwright import domain, service
from cronwright.cli import app
from cronwright.cli.admin import common
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog

runner = CliRunner()
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STEPS = {"steps": [{"name": "call", "kind": "http", "config": {"url": "https://example.org"}}]}
NO_TARGET: dict[str, str | None] = {
    "CRONWRIGHT_API_URL": None,
    "CRONWRIGHT_API_KEY": None,
    "CRONWRIGHT_DATABASE_URL": None,
}


@dataclass
class Served:
    database_url: str  # worked on directly
    api_url: str  # a server over an identical copy
    served_url: str  # the copy's database
    tokens: dict[str, str]  # by role
    prefix: str  # of the admin key: the server's audit trail names it

    def on_database(self, *args: str) -> Result:
        return runner.invoke(app, [*args, "--url", self.database_url], env=NO_TARGET)

    def on_server(self, *args: str, role: str = "admin") -> Result:
        env = {**NO_TARGET, "CRONWRIGHT_API_KEY": self.tokens[role]}
        return runner.invoke(app, ["--api", self.api_url, *args], env=env)


def seed(url: str) -> tuple[dict[str, str], str]:
    """Organization "acme" with workflow "report", schedule "nightly" and a key per role."""
    store = sql_catalog.SqlCatalog.from_url(url)
    svc = service.Service.build(store, FakeClock(NOW - timedelta(days=1)))
    org = svc.organizations.create("acme")
    workflow = svc.workflows.create(org.id, name="report", definition=STEPS)
    spec = domain.ScheduleSpec(
        workflow_id=workflow.id,
        name="nightly",
        cron="0 3 * * *",
        timezone="Europe/Berlin",
        input={"region": "eu"},
    )
    svc.schedules.create(org.id, spec, author="setup")
    issued = {
        role.value: svc.organizations.issue_api_key(org.id, name=role.value, role=role)
        for role in domain.Role
    }
    issued["revoked"] = svc.organizations.issue_api_key(org.id, name="old", role=domain.Role.ADMIN)
    svc.organizations.revoke_api_key(org.id, issued["revoked"].key.id)
    svc.organizations.create("other")
    store.close()
    return {role: key.token for role, key in issued.items()}, issued["admin"].key.prefix


def same_shape(text: str, prefix: str) -> str:
    """The output with the author of changes made as one word, and columns' padding as one
    space (a longer author widens its column)."""
    text = text.replace(common.author(), "AUTHOR").replace(f"api-key:{prefix}", "AUTHOR")
    return re.sub(r"[ \t]+", " ", text)
