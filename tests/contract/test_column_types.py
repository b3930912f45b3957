"""The instant and duration column types round-trip exactly and sort like the values they hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronwright.store.database import dialect
from cronwright.store.database.column_types import Duration, UTCDateTime

probe_metadata = sa.MetaData()
probe = sa.Table(
    "instant_probe",
    probe_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime),
    sa.Column("span", Duration),
)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31), timezones=offsets
)
YEARS_100K = timedelta(days=36_525_000)  # a BIGINT of microseconds holds about 292,000 years
per_example = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = dialect.create_engine(database_url)
    probe_metadata.create_all(engine)
    yield engine
    engine.dispose()


@per_example
@given(at=instants, span=st.timedeltas(min_value=-YEARS_100K, max_value=YEARS_100K))
def test_an_instant_comes_back_equal_in_utc_to_the_microsecond(
    engine: sa.Engine, at: datetime, span: timedelta
) -> None:
    with engine.begin() as connection:
        row_id = connection.execute(
            sa.insert(probe).values(at=at, span=span).returning(probe.c.id)
        ).scalar_one()
        loaded = connection.execute(
            sa.select(probe.c.at, probe.c.span).where(probe.c.id == row_id)
        ).one()
    assert loaded.at == at
    assert loaded.at.utcoffset() == timedelta(0)
    assert loaded.at.isoformat() == at.astimezone(UTC).isoformat()
    assert loaded.span == span


@per_example
@given(st.lists(instants, min_size=2, max_size=8))
def test_the_database_orders_and_compares_instants_like_python(
    engine: sa.Engine, values: list[datetime]
) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(probe))
        connection.execute(sa.insert(probe), [{"at": v} for v in values])
        ordered = connection.scalars(sa.select(probe.c.at).order_by(probe.c.at)).all()
        pivot = values[0]
        not_after = connection.scalars(sa.select(probe.c.at).where(probe.c.at <= pivot)).all()
    assert ordered == sorted(values)
    assert sorted(not_after) == sorted(v for v in values if v <= pivot)


def test_a_naive_datetime_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as c:
        c.execute(sa.insert(probe).values(at=datetime(2026, 1, 1, 12, 0)))


def test_the_database_clock_compares_with_stored_instants(engine: sa.Engine) -> None:
    past = datetime(2000, 1, 1, tzinfo=UTC)
    future = datetime(2150, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(sa.insert(probe), [{"at": past}, {"at": future}])
        now = dialect.db_now(connection.dialect.name)
        due = connection.scalars(sa.select(probe.c.at).where(probe.c.at <= now)).all()
    assert due == [past]
