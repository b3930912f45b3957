"""Alembic migrations shipped inside the package, driven without an ``alembic.ini``.

``upgrade(url)`` brings a database to the newest schema; the ``cronwright db`` commands call these.
To write a new revision, migrate a scratch database to head and let Alembic compare it with the
models: ``alembic.command.revision(config(url), message=..., autogenerate=True)``; then review it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from cronwright import errors
from cronwright.store.database import dialect

SCRIPT_LOCATION = "cronwright.store:migrations"


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolation would read '%' in a password as a reference: escape it.
    cfg.set_main_option("sqlalchemy.url", dialect.normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    with _known_revision(revision):
        command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with _known_revision(revision):
        command.downgrade(config(url), revision)


def check_revision(revision: str) -> None:
    """Raise :class:`~cronwright.errors.InvalidInput` unless ``revision`` names a revision this
    version ships (``base``, ``head``, an id, or relative like ``-1``)."""
    with _known_revision(revision):
        ScriptDirectory.from_config(config("sqlite://")).get_revisions(revision)


def revisions() -> list[str]:
    """Every revision this version ships, oldest first."""
    script = ScriptDirectory.from_config(config("sqlite://"))
    return [found.revision for found in reversed(list(script.walk_revisions()))]


@contextmanager
def _known_revision(revision: str) -> Iterator[None]:
    """Alembic's complaint about a revision (unknown, or the wrong direction) as bad input."""
    try:
        yield
    except CommandError as exc:
        known = ", ".join(["base", *revisions(), "head"])
        message = " ".join(str(exc).split())
        raise errors.InvalidInput(
            field="revision", message=f"{message}; the revisions are {known}"
        ) from None


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
    revision = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    assert revision is not None
    return revision
