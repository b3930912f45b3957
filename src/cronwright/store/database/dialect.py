"""Every difference between SQLite and PostgreSQL lives here: the engines' set-up, and
:class:`Capabilities`, the flags the stores consult instead of asking which database it is.

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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

DEFAULT_URL = "sqlite:///cronwright.db"
DEFAULT_BUSY_TIMEOUT_MS = 30_000
WRITE = {"cronwright_write": True}  # execution option: this transaction will write


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a database offers that the stores build on, in one place."""

    # Writers serialise on one database-wide lock (SQLite): the process's writers take turns on
    # a fair lock (``write_gate``), and a transaction that holds the lock sees exact counts, so
    # claims need no row locks on limits.
    single_writer: bool
    # ``SELECT ... FOR UPDATE [SKIP LOCKED]`` locks rows (PostgreSQL): claimers lock the limits
    # they touch, schedulers skip each other's schedules.
    row_locks: bool
    # ``LISTEN``/``NOTIFY`` reaches every process of a cluster (PostgreSQL); elsewhere every
    # writer shares the process and wakes workers directly.
    notifications: bool
    # The server's clock is the cluster's clock (PostgreSQL: many hosts share one server).
    shared_clock: bool
    # Planner statistics go stale after a bulk insert until analysed (PostgreSQL).
    analyze_after_bulk_insert: bool
    # Ids come from sequences that copied rows do not advance (PostgreSQL).
    id_sequences: bool
    # Instants are stored as integer microseconds since the epoch (SQLite: no instant type).
    instants_as_micros: bool
    # Hot statements are executed through the driver with parameters converted by the caller
    # (SQLite: SQLAlchemy's per-row processing costs more CPU than the statement itself).
    driver_fast_paths: bool
    # ALTER TABLE cannot change most things: migrations copy tables instead (SQLite).
    batch_alter: bool
    # Counting by group: many index range counts beat one grouped pass, which sorts every row
    # of the range (SQLite); PostgreSQL hashes a grouped pass in parallel, and a statement of
    # many range counts costs it a JIT compilation.
    index_range_counts: bool


SQLITE = Capabilities(
    single_writer=True,
    row_locks=False,
    notifications=False,
    shared_clock=False,
    analyze_after_bulk_insert=False,
    id_sequences=False,
    instants_as_micros=True,
    driver_fast_paths=True,
    batch_alter=True,
    index_range_counts=True,
)
POSTGRESQL = Capabilities(
    single_writer=False,
    row_locks=True,
    notifications=True,
    shared_clock=True,
    analyze_after_bulk_insert=True,
    id_sequences=True,
    instants_as_micros=False,
    driver_fast_paths=False,
    batch_alter=False,
    index_range_counts=False,
)


def capabilities(dialect_name: str) -> Capabilities:
    """The capabilities of a dialect by its SQLAlchemy name (``engine.dialect.name``)."""
    return SQLITE if dialect_name == "sqlite" else POSTGRESQL


def capabilities_of(bind: Engine | Connection) -> Capabilities:
    return capabilities(bind.dialect.name)


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
