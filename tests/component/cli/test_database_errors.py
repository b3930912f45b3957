"""A database that cannot be used is one line saying what is wrong and what to do, with the
documented exit status (2 a URL that cannot work, 1 a database that refuses); the traceback
only with --debug. Run as the installed script, as a person would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from cronwright.store import migrations
from cronwright.testing.postgres import SUPERUSER, PostgresCluster, free_port
from tests.component.cli.conftest import cronwright
from tests.conftest import fresh_database_url

COMMANDS = [
    ["db", "upgrade"],
    ["db", "current"],
    ["schedules", "list", "--org", "acme"],
    ["org", "list"],
]


def env(url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRONWRIGHT_")}
    return {**clean, "CRONWRIGHT_DATABASE_URL": url}


def one_line(args: list[str], url: str) -> tuple[int, str]:
    done = cronwright(*args, env=env(url))
    assert done.stdout == "", done.stdout
    assert len(done.stderr.splitlines()) == 1, done.stderr
    return done.returncode, done.stderr.rstrip("\n")


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_sqlite_file_in_a_directory_that_does_not_exist(args: list[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/cw.db"
    assert one_line(args, url) == (
        2,
        f"error: database URL: the directory {tmp_path}/missing of the SQLite file "
        f"{tmp_path}/missing/cw.db does not exist; create it or choose another path",
    )


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_mysql_url(args: list[str]) -> None:
    assert one_line(args, "mysql://app@db.example/app") == (
        2,
        "error: database URL: mysql databases are not supported; use "
        "sqlite:///cronwright.db or postgresql://user@host/dbname",
    )


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_sqlite_url_with_two_slashes(args: list[str]) -> None:
    assert one_line(args, "sqlite://relative.db") == (
        2,
        "error: database URL: sqlite://relative.db has two slashes; write sqlite:///relative.db "
        "for a file in the current directory, sqlite:////absolute/path.db for an absolute path",
    )


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_unreachable_postgresql_server(args: list[str]) -> None:
    url = f"postgresql://cron@127.0.0.1:{free_port()}/cron"
    assert one_line(args, url) == (
        1,
        f"error: cannot connect to {url}: Connection refused; check that the server runs "
        "and that the URL (--url or CRONWRIGHT_DATABASE_URL) is right",
    )


def test_schedules_list_on_a_file_that_does_not_exist_names_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/typo.db"
    assert one_line(["schedules", "list", "--org", "acme"], url) == (
        1,
        f"error: no database at {url} (the file does not exist): check --url or "
        "CRONWRIGHT_DATABASE_URL, or create it with cronwright db upgrade",
    )
    assert not (tmp_path / "typo.db").exists()


def test_an_unknown_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cw.db"
    assert one_line(["db", "downgrade", "nonsense", "--yes"], url) == (
        2,
        "error: revision: Can't locate revision identified by 'nonsense'; the revisions are "
        f"base, {', '.join(migrations.revisions())}, head",
    )


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    done = cronwright("--debug", "db", "current", env=env("mysql://app@db.example/app"))
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.splitlines()[-1] == (
        "error: database URL: mysql databases are not supported; use "
        "sqlite:///cronwright.db or postgresql://user@host/dbname"
    )


# -- a PostgreSQL role without privileges ---------------------------------------------------------


@pytest.fixture
def unprivileged(pg_cluster: PostgresCluster) -> Iterator[str]:
    """A login role that may connect but owns nothing and was granted nothing."""
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS cw_nobody")
        admin.execute("CREATE ROLE cw_nobody LOGIN")
    yield "cw_nobody"
    pg_cluster.terminate_backends()
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
        for database in admin.execute("SELECT datname FROM pg_database WHERE NOT datistemplate"):
            with psycopg.connect(pg_cluster.dsn(database[0]), autocommit=True) as each:
                each.execute("DROP OWNED BY cw_nobody")
        admin.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier("cw_nobody")))


def as_user(url: str, user: str) -> str:
    return url.replace(f"//{SUPERUSER}@", f"//{user}@").replace("+psycopg", "")


@pytest.mark.postgres
def test_db_upgrade_without_the_privilege_to_create_tables(
    pg_cluster: PostgresCluster, unprivileged: str
) -> None:
    url = as_user(pg_cluster.create_database("cw_noprivileges"), unprivileged)
    assert one_line(["db", "upgrade"], url) == (
        1,
        f"error: the database user cw_nobody lacks a privilege on {url}: permission denied "
        'for schema public; grant it (see docs/operations.md, "PostgreSQL privileges") '
        "or connect as the database's owner",
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args", [["org", "list"], ["apply", "acme.yaml"], ["db", "current"]], ids=" ".join
)
def test_commands_on_tables_the_user_may_not_read(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    unprivileged: str,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = as_user(fresh_database_url(request, "postgres", tmp_path), unprivileged)
    (tmp_path / "acme.yaml").write_text("organization: acme\n")
    monkeypatch.chdir(tmp_path)
    assert one_line(args, url) == (
        1,
        f"error: the database user cw_nobody lacks a privilege on {url}: permission denied "
        'for table alembic_version; grant it (see docs/operations.md, "PostgreSQL privileges") '
        "or connect as the database's owner",
    )
