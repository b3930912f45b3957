"""``copy_database``: a populated SQLite database moved to PostgreSQL compares equal row for row,
and the destination keeps working (its sequences continue after the copied ids)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import copying
from cronwright.testing.postgres import PostgresCluster
from tests.component.store.populate import POPULATED, T0, dump, populate


@pytest.fixture
def populated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    migrations.upgrade(url)
    populate(url)
    return url


@pytest.mark.postgres
def test_sqlite_copied_to_postgres_compares_equal_row_for_row(
    populated: str, pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    target = pg_cluster.create_database("cw_copy_target")  # empty: the copy migrates it
    source_rows = dump(populated)
    assert {name for name, rows in source_rows.items() if rows} >= POPULATED

    report = copying.copy_database(populated, target)

    assert report.rows == {name: len(rows) for name, rows in source_rows.items()}
    order = list(report.rows)
    for table in copying.tables():  # parents are copied before the rows that point at them
        for key in table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(table.name)
    assert dump(target) == source_rows
    assert migrations.current(target) == migrations.head()
    # And back: PostgreSQL to a new SQLite file gives the same rows again.
    back = f"sqlite:///{tmp_path / 'back.db'}"
    copying.copy_database(target, back)
    assert dump(back) == source_rows

    # New rows on PostgreSQL take ids after the copied ones (sequences were moved on).
    store = sql_catalog.SqlCatalog.from_url(target)
    try:
        svc = service.Service.build(store, FakeClock(T0))
        org = svc.organizations.create("after the move")
        workflow = svc.workflows.create(
            org.id, name="w", definition={"steps": [{"name": "s", "kind": "http"}]}
        )
        schedule = svc.schedules.create(
            org.id,
            domain.ScheduleSpec(workflow_id=workflow.id, name="s", cron="0 1 * * *"),
            author="test",
        )
    finally:
        store.close()
    assert org.id > max(row["id"] for row in source_rows["organizations"])
    assert workflow.id > max(row["id"] for row in source_rows["workflows"])
    assert schedule.id > max(row["id"] for row in source_rows["schedules"])
    pg_cluster.drop_database("cw_copy_target")


def test_a_destination_with_data_is_refused_unless_forced(populated: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'target.db'}"
    migrations.upgrade(target)
    store = sql_catalog.SqlCatalog.from_url(target)
    store.create_organization(name="in the way", max_schedules=1, max_concurrent_runs=1, now=T0)
    store.close()

    with pytest.raises(copying.CopyRefused, match=r"not empty \(organizations\)"):
        copying.copy_database(populated, target)
    assert [row["name"] for row in dump(target)["organizations"]] == ["in the way"]

    copying.copy_database(populated, target, force=True)
    assert dump(target) == dump(populated)


def test_a_source_behind_the_newest_schema_is_refused(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    target = tmp_path / "target.db"
    with pytest.raises(copying.CopyRefused, match="at revision base"):
        copying.copy_database(source, f"sqlite:///{target}")
    assert not target.exists()


def test_progress_is_told_every_table_and_every_row(populated: str, tmp_path: Path) -> None:
    seen: dict[str, list[int]] = {}

    class Recorder:
        def table(self, name: str, total: int) -> Any:
            seen[name] = [total]
            return seen[name].append

    copying.copy_database(populated, f"sqlite:///{tmp_path / 'copying.db'}", progress=Recorder())

    assert set(seen) == {table.name for table in copying.tables()}
    assert all(total == sum(batches) for total, *batches in seen.values())
