"""The migration that makes names unique stops, listing them, on a database with duplicates,
and goes through once the operator resolved them; on both backends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cronwright import domain, errors
from cronwright.bootstrap import errors as startup
from cronwright.bootstrap import runtime
from cronwright.cli import app
from cronwright.store import migrations
from cronwright.store.catalog import alert_channels, sql_catalog
from cronwright.store.database import dialect
from cronwright.testing.postgres import PostgresCluster

BEFORE = "0006-1"  # the revision before the one that makes names unique
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STEPS = domain.parse_definition({"steps": [{"name": "call", "kind": "http"}]})
_names = (f"cw_names_{n}" for n in itertools.count(1))


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'names.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = next(_names)
    yield cluster.create_database(name)
    cluster.drop_database(name)


def with_duplicates(url: str) -> None:
    """A database as an older release left it: rows with distinct names, renamed to clash once
    the rule is gone (the store cannot write duplicates any more)."""
    migrations.upgrade(url)
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        org = store.create_organization(
            name="acme", max_schedules=10, max_concurrent_runs=10, now=T0
        )
        for name in ("report", "report-2", "backup"):
            store.add_workflow(org_id=org.id, name=name, definition=STEPS, now=T0)
        workflow = store.find_workflow_by_name(org.id, "backup")
        assert workflow is not None
        for name, cron in (("nightly", "0 1 * * *"), ("nightly-2", "0 2 * * *")):
            spec = domain.ScheduleSpec(workflow_id=workflow.id, name=name, cron=cron)
            store.add_schedule(
                org_id=org.id, spec=spec, hash_key="k", next_fire_at=None, author="a", now=T0
            )
        channels = alert_channels.SqlAlertChannels(store.engine)
        for name in ("on-call", "on-call-2"):
            channels.add(
                org_id=org.id,
                name=name,
                kind=domain.AlertChannelKind.EMAIL,
                target="ops@example.org",
                secret=None,
                events=("run_failed",),
                enabled=True,
                now=T0,
            )
    finally:
        store.close()
    migrations.downgrade(url, BEFORE)
    execute(
        url,
        "UPDATE workflows SET name = 'report' WHERE name = 'report-2'",
        "UPDATE schedules SET name = 'nightly' WHERE name = 'nightly-2'",
        "UPDATE alert_channels SET name = 'on-call' WHERE name = 'on-call-2'",
    )


def execute(url: str, *statements: str) -> None:
    engine = dialect.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_duplicates_stop_the_upgrade_with_a_list_and_nothing_changes(url: str) -> None:
    with_duplicates(url)
    at = migrations.current(url)
    with pytest.raises(errors.DuplicateNames) as caught:
        migrations.upgrade(url)
    assert caught.value.duplicates == [
        "organization 1 ('acme'): workflow name 'report' is used by workflows 1, 2",
        "organization 1 ('acme'): schedule name 'nightly' is used by schedules 1, 2",
        "organization 1 ('acme'): alert channel name 'on-call' is used by alert channels 1, 2",
    ]
    assert "rename or delete all but one of each, then upgrade again" in str(caught.value)
    assert migrations.current(url) == at

    result = CliRunner().invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 1
    assert "workflow name 'report' is used by workflows 1, 2" in result.output

    # serve migrates when it starts: it refuses to, with the whole list.
    with pytest.raises(startup.StartupError) as refused:
        runtime._open_database(url, runtime.Role.SERVE)
    assert "alert channel name 'on-call' is used by alert channels 1, 2" in str(refused.value)
    assert migrations.current(url) == at

    # The operator renames one of each (or deletes it); the upgrade goes through.
    execute(
        url,
        "UPDATE workflows SET name = 'report (old)' WHERE id = 2",
        "UPDATE schedules SET deleted_at = updated_at WHERE id = 2",  # deleted ones do not count
        "DELETE FROM alert_channels WHERE id = 2",
    )
    migrations.upgrade(url)
    assert migrations.current(url) == migrations.head()
    with pytest.raises(sa.exc.IntegrityError):
        execute(url, "UPDATE workflows SET name = 'report' WHERE id = 2")
