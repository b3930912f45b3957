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

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware instant, always returned in UTC; naive datetimes are refused, never guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> object:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")
        if dialect.name == "sqlite":
            return to_micros(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return from_micros(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


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


JsonDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
