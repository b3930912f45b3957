"""Column types that mean the same on SQLite and PostgreSQL.

- :class:`UTCDateTime`: an aware UTC instant. PostgreSQL keeps it as ``timestamptz`` (microsecond
  precision, native ``now()`` comparisons). SQLite has no instant type, so it is kept as an
  ``INTEGER`` of microseconds since the Unix epoch: exact to the microsecond, compact, and ordered
  like the instants it encodes, so indexes and ``<=`` comparisons work on the raw column.
- :class:`Duration`: a ``timedelta`` as whole microseconds (``BIGINT``) on both backends.
- :data:`JsonDocument`: ``JSON`` on SQLite, ``JSONB`` on PostgreSQL.
- :data:`BigId`: ``BIGINT`` keys on PostgreSQL, ``INTEGER`` (the rowid alias) on SQLite.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from cronwright.store.database.dialect import capabilities

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware instant, always returned in UTC; naive datetimes are refused, never guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if capabilities(dialect.name).instants_as_micros:
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> object:
        if value is None:
            return None
        if capabilities(dialect.name).instants_as_micros:
            return sqlite_instant(value)
        _refuse_naive(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        return instant_from_db(value)


class Duration(sa.TypeDecorator[timedelta]):
    """A ``timedelta`` kept exactly, as whole microseconds."""

    impl = sa.BigInteger()
    cache_ok = True

    def process_bind_param(self, value: timedelta | None, dialect: Dialect) -> int | None:
        return None if value is None else value // MICROSECOND

    def process_result_value(self, value: int | None, dialect: Dialect) -> timedelta | None:
        return None if value is None else timedelta(microseconds=value)


def to_micros(instant: datetime) -> int:
    """Microseconds since the epoch, computed in integers (floats would lose microseconds)."""
    return (instant - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


# The conversions below are the column types' own, also used by the statements that hand their
# parameters to the driver directly (the hot paths in ``queue``).


def sqlite_instant(value: datetime | None) -> int | None:
    """A :class:`UTCDateTime` value as SQLite stores it."""
    if value is None:
        return None
    _refuse_naive(value)
    return to_micros(value)


def instant_from_db(value: object) -> datetime | None:
    """A :class:`UTCDateTime` column's value as either driver returns it: aware, in UTC."""
    if value is None:
        return None
    if isinstance(value, int):
        return from_micros(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def sqlite_json(value: object) -> str:
    """A :data:`JsonDocument` value as SQLite stores it (``None`` is JSON ``null``)."""
    return json.dumps(value)


def sqlite_json_value(value: object) -> Any:
    """A :data:`JsonDocument` column's value as sqlite3 returns it: text, or a number when the
    column's numeric affinity stored one as such (as SQLAlchemy's SQLite JSON type reads it)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _refuse_naive(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")


JsonDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
