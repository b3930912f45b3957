"""Core statements compiled once for a dialect and executed through the DB-API driver.

On the hottest paths (recording steps, finishing runs) SQLAlchemy's per-row parameter and
result processing costs more CPU than SQLite itself. The statement is still written once, in
Core: compiled here to the driver's SQL and the positional order of its parameters; the caller
passes values already converted the way the column types would (see
:func:`cronwright.store.database.column_types.sqlite_instant`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class DriverStatement:
    sql: str
    order: tuple[str, ...]  # the parameter names, in the order of the SQL's placeholders
    constants: Mapping[str, Any]  # values the statement itself binds (literals in Core)

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if name in values else self.constants[name] for name in self.order
        )

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        return connection.exec_driver_sql(self.sql, self.parameters(values))

    def execute_many(
        self, connection: Connection, many: Iterable[Mapping[str, Any]]
    ) -> CursorResult[Any]:
        return connection.exec_driver_sql(self.sql, [self.parameters(v) for v in many])


def compile_for(statement: sa.ClauseElement, dialect: Dialect) -> DriverStatement:
    """``statement`` as ``dialect``'s driver runs it; every parameter must be positional."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    order = compiled.positiontup
    if order is None:
        raise ValueError(f"{dialect.name} does not use positional parameters")
    binds = compiled.binds
    constants = {name: binds[name].effective_value for name in order if not binds[name].required}
    return DriverStatement(str(compiled), tuple(order), constants)
