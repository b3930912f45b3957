"""Migrations build exactly the models' schema, and come down again, on both backends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from cronwright.cli import app
from cronwright.store import migrations
from cronwright.store.database import dialect, schema
from cronwright.testing.postgres import PostgresCluster

_names = (f"cw_migrate_{n}" for n in itertools.count(1))


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = next(_names)
    yield cluster.create_database(name)
    cluster.drop_database(name)


def table_names(url: str) -> set[str]:
    engine = dialect.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_builds_exactly_the_models(empty_url: str) -> None:
    assert migrations.current(empty_url) is None
    migrations.upgrade(empty_url)
    assert migrations.current(empty_url) == migrations.head()
    engine = dialect.create_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, schema.Base.metadata) == []
    finally:
        engine.dispose()
    assert table_names(empty_url) == set(schema.Base.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    migrations.downgrade(empty_url, "base")
    assert migrations.current(empty_url) is None
    assert table_names(empty_url) == {"alembic_version"}
    migrations.upgrade(empty_url)
    assert migrations.current(empty_url) == migrations.head()


def test_db_current_on_a_missing_sqlite_file_leaves_it_uncreated(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    result = CliRunner().invoke(app, ["db", "current", "--url", f"sqlite:///{missing}"])
    assert result.exit_code == 0, result.output
    assert result.output == f"base (head: {migrations.head()}) - run: cronwright db upgrade\n"
    assert not missing.exists()


def test_the_db_commands_migrate_the_url_from_the_option_or_the_environment(
    empty_url: str,
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "current", "--url", empty_url])
    assert result.exit_code == 0, result.output
    assert result.output == f"base (head: {migrations.head()}) - run: cronwright db upgrade\n"
    result = runner.invoke(app, ["db", "upgrade"], env={"CRONWRIGHT_DATABASE_URL": empty_url})
    assert result.exit_code == 0, result.output
    assert result.output == f"database at revision {migrations.head()}\n"
    result = runner.invoke(app, ["db", "downgrade", "base", "--url", empty_url])
    shown = make_url(empty_url).render_as_string(hide_password=True)
    assert (result.exit_code, result.output) == (
        2,
        f"error: Drop every table of {shown} (at revision {migrations.head()}) deletes data: "
        "run it on a terminal to confirm, or add --yes\n",
    )
    assert "schedules" in table_names(empty_url)
    result = runner.invoke(app, ["db", "downgrade", "base", "--yes", "--url", empty_url])
    assert (result.exit_code, result.output) == (0, "database at revision base\n")
    assert table_names(empty_url) == {"alembic_version"}
