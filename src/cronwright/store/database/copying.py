"""Copy a whole database to another one (SQLite to PostgreSQL, or any backend to any other).

Tables come from the models' metadata in foreign-key order, so a table added by a later migration
is copied without anyone remembering to list it. Rows are read through the model column types and
written through the same types, so instants, durations, booleans and JSON mean the same on both
sides whatever the storage (microsecond integers on SQLite, ``timestamptz`` on PostgreSQL). Ids
are copied as they are; PostgreSQL sequences are then moved past the largest id.

The source is read in one transaction (a consistent snapshot even while it is in use) and the
destination written in one transaction: a copy that fails or is killed leaves the destination as
it was. The row counts of every table are compared before that transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from cronwright import errors
from cronwright.store import migrations
from cronwright.store.database import dialect
from cronwright.store.database.schema import Base

BATCH = 1000
_JsonNullIsNull = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


class CopyRefused(errors.CronwrightError):
    """The copy cannot start: the source is not at this version's schema, or the destination
    already holds data (and ``force`` was not given)."""


class CopyProgress(Protocol):
    def table(self, name: str, total: int) -> Callable[[int], None]:
        """A table of ``total`` rows starts; the returned callable is told each batch's size."""
        ...


class _Silent:
    def table(self, name: str, total: int) -> Callable[[int], None]:
        return lambda _rows: None


@dataclass(frozen=True, slots=True)
class CopyReport:
    revision: str
    rows: dict[str, int]  # table -> rows copied, in copy order


def tables() -> list[sa.Table]:
    """Every table of the schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def copy_database(
    source_url: str,
    destination_url: str,
    *,
    force: bool = False,
    progress: CopyProgress | None = None,
) -> CopyReport:
    """Copy every row of ``source_url`` into ``destination_url``, migrated to head first.

    ``CopyRefused`` if the source is not at this version's newest revision (migrate it first), or
    if the destination holds any row and ``force`` is false; with ``force`` its rows are deleted
    (in the same transaction as the copy).
    """
    head = migrations.head()
    at = migrations.current(source_url)
    if at != head:
        raise CopyRefused(
            f"the source database is at revision {at or 'base'}, not {head}: "
            "run 'cronwright db upgrade --url SOURCE' first"
        )
    migrations.upgrade(destination_url)
    sink = progress or _Silent()
    source = dialect.create_engine(source_url)
    destination = dialect.create_engine(destination_url)
    try:
        with source.connect() as reader, reader.begin(), destination.connect() as writer:
            writer.execution_options(**dialect.WRITE)
            with writer.begin():
                _clear(writer, force=force)
                copied = {
                    table.name: _copy_table(reader, writer, table, sink) for table in tables()
                }
                _reset_sequences(writer)
                _verify(writer, copied)
    finally:
        source.dispose()
        destination.dispose()
    return CopyReport(revision=head, rows=copied)


def count_rows(connection: Connection, table: sa.Table) -> int:
    return int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _clear(writer: Connection, *, force: bool) -> None:
    filled = [table.name for table in tables() if count_rows(writer, table)]
    if not filled:
        return
    if not force:
        raise CopyRefused(
            f"the destination database is not empty ({', '.join(filled)}): "
            "give --force to replace its contents"
        )
    for table in reversed(tables()):
        writer.execute(sa.delete(table))


def _copy_table(reader: Connection, writer: Connection, table: sa.Table, sink: CopyProgress) -> int:
    """Copy one table; returns the source's row count (read in the snapshot being copied)."""
    total = count_rows(reader, table)
    advance = sink.table(table.name, total)
    insert = sa.insert(_writable(table))
    for batch in _batches(reader, table):
        writer.execute(insert, batch)
        advance(len(batch))
    return total


def _batches(reader: Connection, table: sa.Table) -> Iterator[list[dict[str, Any]]]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    result = reader.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    for partition in result.mappings().partitions(BATCH):
        yield [dict(row) for row in partition]


def _writable(table: sa.Table) -> sa.TableClause:
    """``table`` with JSON columns that write Python None as SQL NULL: the stores read SQL NULL
    and JSON ``null`` alike, and NULL is what a nullable column holds when nothing was set."""
    columns = [
        sa.column(column.name, _JsonNullIsNull if _is_json(column) else column.type)
        for column in table.columns
    ]
    return sa.table(table.name, *columns)


def _is_json(column: sa.Column[Any]) -> bool:
    kind = column.type
    return isinstance(kind, sa.JSON) or isinstance(getattr(kind, "impl", None), sa.JSON)


def _reset_sequences(writer: Connection) -> None:
    """PostgreSQL hands out ids from sequences that copied rows did not advance: move each past
    the largest id, so the next insert does not collide with a copied row."""
    if not dialect.capabilities_of(writer).id_sequences:
        return  # SQLite takes the next rowid from the rows themselves
    for table in tables():
        for column in _serial_columns(table):
            writer.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f'COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) '
                    f'FROM "{table.name}"'
                ),
                {"table": table.name, "column": column.name},
            )


def _serial_columns(table: sa.Table) -> Sequence[sa.Column[Any]]:
    return [
        column
        for column in table.primary_key.columns
        if column.autoincrement in (True, "auto")
        and len(table.primary_key.columns) == 1
        and isinstance(column.type.as_generic(), sa.Integer)
    ]


def _verify(writer: Connection, expected: dict[str, int]) -> None:
    for table in tables():
        found = count_rows(writer, table)
        if found != expected[table.name]:
            raise errors.CronwrightError(
                f"{table.name}: the source holds {expected[table.name]} rows but the destination "
                f"{found}; nothing was committed"
            )
