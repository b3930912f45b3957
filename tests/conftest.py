"""Shared fixtures: one throwaway PostgreSQL cluster per session, fresh databases per test.

``database_url`` and ``store`` are parametrized over SQLite and PostgreSQL, so a test written once
runs on both; the PostgreSQL variant carries the ``postgres`` marker (``pytest -m postgres``).
Without PostgreSQL binaries those variants skip, unless ``CRONWRIGHT_REQUIRE_POSTGRES=1`` (CI),
which turns the absence into a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cronwright.outbound import OutboundPolicy
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.testing.postgres import PostgresCluster, PostgresUnavailableError
from cronwright.testing.redis import RedisServer, RedisUnavailableError

REQUIRE_POSTGRES = os.environ.get("CRONWRIGHT_REQUIRE_POSTGRES") == "1"
REQUIRE_REDIS = os.environ.get("CRONWRIGHT_REQUIRE_REDIS") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_database_names = (f"cw_test_{n}" for n in itertools.count(1))
# Receivers in tests listen on 127.0.0.1, which the outbound policy refuses unless allowed.
LOCAL_OUTBOUND = OutboundPolicy.parse("127.0.0.1")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailableError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (CRONWRIGHT_REQUIRE_POSTGRES=1): {exc}")
        pytest.skip(f"PostgreSQL is not available: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the session (the Celery tests' broker); skips without
    ``redis-server``, unless ``CRONWRIGHT_REQUIRE_REDIS=1`` (CI) makes that a failure."""
    try:
        server = RedisServer.start()
    except RedisUnavailableError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required (CRONWRIGHT_REQUIRE_REDIS=1): {exc}")
        pytest.skip(f"Redis is not available: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A database migrated to head once; each test gets a copy (CREATE DATABASE ... TEMPLATE)."""
    pg_cluster.create_database("cw_template")
    migrations.upgrade(pg_cluster.url("cw_template"))
    return "cw_template"


def fresh_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """The URL of a new database at the newest schema, on ``backend``."""
    if backend == "sqlite":
        path = tmp_path / "cronwright.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    template: str = request.getfixturevalue("pg_template")
    name = next(_database_names)
    url = cluster.create_database(name, template=template)
    request.addfinalizer(lambda: cluster.drop_database(name))
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    return fresh_database_url(request, backend, tmp_path)


@pytest.fixture
def store(database_url: str) -> Iterator[sql_catalog.SqlCatalog]:
    opened = sql_catalog.SqlCatalog.from_url(database_url)
    yield opened
    opened.close()


@pytest.fixture
def t0() -> datetime:
    return datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
