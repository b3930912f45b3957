"""Every difference between SQLite and PostgreSQL lives here.

SQLite (the default, ``sqlite:///cronwright.db``), per connection: WAL journal (readers never block
the writer), ``busy_timeout`` (a writer waits for the lock instead of failing), ``foreign_keys=ON``
(off by default in SQLite), ``synchronous=NORMAL`` (in WAL mode a killed process loses nothing;
only an OS crash or power cut may lose the last commits, never consistency). pysqlite's own
transaction handling is switched off so that we emit ``BEGIN`` ourselves: ``BEGIN IMMEDIATE`` for
transactions that write, which takes the write lock up front, so two writers never interleave
their reads and writes and never deadlock on a lock upgrade.

PostgreSQL goes through psycopg 3 (``postgresql+psycopg://``) at READ COMMITTED; writes rely on
row locks and conditional ``UPDATE ... WHERE`` statements, which both backends honour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

DEFAULT_URL = "sqlite:///cronwright.db"
DEFAULT_BUSY_TIMEOUT_MS = 30_000
WRITE = {"cronwright_write": True}  # execution option: this transaction will write


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file_exists(url: str) -> bool:
    """False only for a SQLite URL naming a file that does not exist (connecting would create
    it); True for other backends, in-memory databases and ``file:`` URIs."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return True
    return Path(database).exists()


def create_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, **kw: Any) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = sa.create_engine(url, **kw)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    kw.setdefault("pool_pre_ping", True)  # a restarted server leaves dead pooled connections
    return sa.create_engine(url, **kw)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get("cronwright_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def insert(table: Any, dialect_name: str) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing()``."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_unique_violation(exc: sa.exc.IntegrityError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    return "UNIQUE constraint failed" in str(exc.orig)


def db_now(dialect_name: str) -> sa.ColumnElement[Any]:
    """The database's clock as the instant column type stores it, for SQL-side comparisons."""
    if dialect_name == "postgresql":
        return sa.func.statement_timestamp()
    # Microseconds since the epoch, to match UTCDateTime on SQLite (julianday has ms precision).
    return sa.cast((sa.func.julianday("now") - 2440587.5) * 86_400_000_000, sa.BigInteger)
