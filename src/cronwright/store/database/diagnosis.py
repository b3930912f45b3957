"""Why a database cannot be used, said in one line that also says what to do.

:func:`check_url` refuses, before any connection, the URLs that cannot work (another database,
``sqlite://file.db`` with two slashes, a SQLite file in a directory that does not exist);
:func:`explain` turns what the driver raised (server unreachable, privilege missing...) into
a sentence. The command line, ``serve`` and the cluster roles print these instead of tracebacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from cronwright import errors

FIELD = "database URL"
WHERE = "--url or CRONWRIGHT_DATABASE_URL"
EXAMPLES = "sqlite:///cronwright.db or postgresql://user@host/dbname"
PRIVILEGES_DOC = 'docs/operations.md, "PostgreSQL privileges"'
_POSTGRES_DRIVERS = ("postgresql", "postgres", "postgresql+psycopg")
_SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite")
_INSUFFICIENT_PRIVILEGE = "42501"


def check_url(url: str) -> None:
    """Raise :class:`~cronwright.errors.InvalidInput` for a URL no connection could succeed
    with; the message says how to write it instead."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        _refuse(f"{url!r} is not a database URL; write {EXAMPLES}")
    if parsed.drivername in _POSTGRES_DRIVERS:
        return
    if parsed.drivername not in _SQLITE_DRIVERS:
        backend = parsed.get_backend_name()
        if backend in ("postgresql", "sqlite"):
            _refuse(f"the {parsed.drivername} driver is not supported; write {EXAMPLES}")
        _refuse(f"{backend} databases are not supported; use {EXAMPLES}")
    _check_sqlite(parsed)


def _check_sqlite(parsed: URL) -> None:
    if parsed.host:  # sqlite://name.db: SQLAlchemy reads "name.db" as a host, not a file
        shown = f"{parsed.host}/{parsed.database}" if parsed.database else parsed.host
        _refuse(
            f"sqlite://{shown} has two slashes; write sqlite:///{shown} for a file in the "
            f"current directory, sqlite:////absolute/path.db for an absolute path"
        )
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    directory = Path(database).parent
    if not directory.is_dir():
        _refuse(
            f"the directory {directory} of the SQLite file {database} does not exist; "
            "create it or choose another path"
        )


def _refuse(message: str) -> NoReturn:
    raise errors.InvalidInput(field=FIELD, message=message)


def explain(exc: BaseException, url: str) -> str | None:
    """One line about a database error raised while using ``url``, or None when it is not
    about reaching or using the database."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    shown = _shown(url)
    cause = exc.orig if exc.orig is not None else exc
    reason = _first_line(cause)
    if getattr(cause, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
        user = make_url(url).username or "the user"
        return (
            f"the database user {user} lacks a privilege on {shown}: {reason}; grant it "
            f"(see {PRIVILEGES_DOC}) or connect as the database's owner"
        )
    if not isinstance(exc, sa.exc.OperationalError):
        return None
    if make_url(url).get_backend_name() == "sqlite":
        return (
            f"cannot open the SQLite database {shown}: {reason}; check that this user may "
            "read and write the file and its directory"
        )
    return (
        f"cannot connect to {shown}: {reason}; check that the server runs and that "
        f"the URL ({WHERE}) is right"
    )


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return url


def _first_line(exc: BaseException) -> str:
    """The driver's message without its hints and background links, on one line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "failed: " in text:  # libpq: 'connection to server at "h", port 1 failed: <why>'
        text = text.rsplit("failed: ", 1)[1]
    return " ".join(text.removeprefix("FATAL:").split())
