"""Alembic migrations shipped inside the package, driven without an ``alembic.ini``.

``upgrade(url)`` brings a database to the newest schema; the ``cronwright db`` commands call these.
To write a new revision, migrate a scratch database to head and let Alembic compare it with the
models: ``alembic.command.revision(config(url), message=..., autogenerate=True)``; then review it.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from cronwright.store import dialect

SCRIPT_LOCATION = "cronwright.store:migrations"


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolation would read '%' in a password as a reference: escape it.
    cfg.set_main_option("sqlalchemy.url", dialect.normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)


def current(url: str) -> str | None:
    """The revision the database is at, or None for a database never migrated (a SQLite file
    that does not exist is left uncreated)."""
    if not dialect.sqlite_file_exists(url):
        return None
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    assert revision is not None
    return revision
