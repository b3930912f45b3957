"""Alembic environment: runs migrations on the URL (or open connection) the config carries."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from cronwright.store.database import dialect, schema

TARGET_METADATA = schema.Base.metadata


def _run(connection: Connection) -> None:
    connection.execution_options(**dialect.WRITE)  # SQLite: take the write lock up front
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=dialect.capabilities_of(connection).batch_alter,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = dialect.create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=TARGET_METADATA,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
