"""Migration 0009 starts each existing workflow's history at the version it has; on both
backends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cronwright import domain
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import column_types, dialect
from cronwright.testing.postgres import PostgresCluster

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STEPS = {"steps": [{"name": "call", "kind": "http"}]}
_names = (f"cw_wfv_{n}" for n in itertools.count(1))


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'versions.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = next(_names)
    yield cluster.create_database(name)
    cluster.drop_database(name)


def test_existing_workflows_start_their_history_at_their_current_version(url: str) -> None:
    migrations.upgrade(url, "0008")
    engine = dialect.create_engine(url)
    at = sa.bindparam("at", type_=column_types.UTCDateTime())
    try:
        with engine.begin() as connection:
            org_id = connection.execute(
                sa.text(
                    "INSERT INTO organizations (name, max_schedules, max_concurrent_runs, "
                    "schedule_count, created_at) VALUES ('acme', 5, 5, 0, :at) RETURNING id"
                ).bindparams(at),
                {"at": T0},
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO workflows (org_id, name, definition, version, created_at, "
                    "updated_at) VALUES (:org, 'report', :definition, 3, :at, :at)"
                ).bindparams(at, sa.bindparam("definition", type_=column_types.JsonDocument)),
                {
                    "org": org_id,
                    "definition": {"steps": [{"name": "call", "kind": "http"}]},
                    "at": T0,
                },
            )
    finally:
        engine.dispose()
    migrations.upgrade(url)
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        org = domain.OrganizationId(org_id)
        [workflow] = store.list_workflows(org, after_id=None, limit=10)
        [version] = store.list_workflow_versions(org, workflow.id)
        assert (version.version, version.name, version.author, version.created_at) == (
            3,
            "report",
            domain.UNKNOWN_AUTHOR,
            T0,
        )
        assert version.definition == workflow.definition
    finally:
        store.close()
