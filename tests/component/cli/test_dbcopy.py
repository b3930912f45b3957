"""``cronwright db copy``: the command around the store's copy (tested in tests/component/store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright.cli import app
from cronwright.store import migrations
from cronwright.testing.postgres import PostgresCluster
from tests.component.cli.conftest import cronwright, on_terminal
from tests.component.store.populate import dump, populate

runner = CliRunner()


@pytest.fixture
def source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    migrations.upgrade(url)
    populate(url)
    return url


def test_script_copies_refuses_a_second_time_and_replaces_with_force(
    source: str, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'target.db'}"
    done = cronwright("db", "copy", source, target)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bars when not on a terminal
    assert "row counts verified" in done.stdout
    assert dump(target) == dump(source)

    again = cronwright("db", "copy", source, target)
    assert again.returncode == 1
    assert again.stderr.startswith("error: the destination database is not empty (")
    assert again.stderr.rstrip().endswith("give --force to replace its contents")

    forced = cronwright("db", "copy", source, target, "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    report = json.loads(forced.stdout)
    assert report["revision"] == migrations.head()
    assert report["tables"]["schedules"] == len(dump(source)["schedules"])
    assert dump(target) == dump(source)


@pytest.mark.postgres
def test_copy_to_postgres_hides_the_password(source: str, pg_cluster: PostgresCluster) -> None:
    target = pg_cluster.create_database("cw_cli_copy")
    with_password = target.replace("postgres@", "postgres:s3cret@")  # trust auth ignores it
    result = runner.invoke(app, ["db", "copy", source, with_password, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "s3cret" not in result.stdout
    assert report["destination"].startswith("postgresql+psycopg://postgres:***@")
    assert sum(report["tables"].values()) == sum(len(rows) for rows in dump(source).values())
    pg_cluster.drop_database("cw_cli_copy")


def test_a_terminal_gets_a_progress_bar_per_table_unless_json(source: str, tmp_path: Path) -> None:
    code, shown = on_terminal("db", "copy", source, f"sqlite:///{tmp_path / 'a.db'}")
    assert code == 0, shown
    assert "schedule_versions" in shown
    assert "━" in shown  # the bar
    code, shown = on_terminal("db", "copy", source, f"sqlite:///{tmp_path / 'b.db'}", "--json")
    assert (code, shown) == (0, "")
