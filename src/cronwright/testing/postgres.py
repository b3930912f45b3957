"""A throwaway PostgreSQL cluster for tests, chaos runs and benchmarks.

``PostgresCluster.start()`` runs ``initdb`` into a fresh temporary directory and starts the server
with ``pg_ctl`` on a free port of 127.0.0.1, tuned for speed over durability (``fsync=off`` and
friends: the data is thrown away anyway), unless started ``durable=True`` (``fsync``,
``synchronous_commit`` and ``full_page_writes`` on, as users run it: for benchmarks). ``initdb``
refuses to run as root, so when we are root every server command runs as the ``postgres`` user
(``runuser -u postgres --``) in a directory chowned to it. Binaries are taken from ``PATH`` or
the newest ``/usr/lib/postgresql/*/bin``.

Fault injection for tests: :meth:`restart` (``immediate`` mode = crash recovery on start),
:meth:`kill` (SIGKILL the postmaster), :meth:`terminate_backends` (drop every client connection).

    with PostgresCluster.start() as cluster:
        url = cluster.create_database("t1")   # postgresql+psycopg://postgres@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
_SERVER_SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
    "listen_addresses": "127.0.0.1",
    "timezone": "UTC",
}
_DURABLE_SETTINGS = {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the cluster would not start."""


def find_bin_dir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: ``PATH`` first, then the newest major
    version under ``/usr/lib/postgresql``."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").exists() and (path / "pg_ctl").exists()
    ]

    def major(path: Path) -> int:
        match = re.fullmatch(r"\d+", path.parent.name)
        return int(match.group()) if match else 0

    if not candidates:
        raise PostgresUnavailableError("initdb/pg_ctl not found on PATH or in /usr/lib/postgresql")
    return max(candidates, key=major)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """A running throwaway cluster. Use :meth:`start`; :meth:`stop` removes every file."""

    def __init__(self, *, bin_dir: Path, base_dir: Path, port: int, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.log_file = base_dir / "server.log"
        self.port = port
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def start(
        cls, *, bin_dir: Path | None = None, port: int | None = None, durable: bool = False
    ) -> PostgresCluster:
        bin_dir = bin_dir or find_bin_dir()
        base_dir = Path(tempfile.mkdtemp(prefix="cronwright-pg-"))
        cluster = cls(bin_dir=bin_dir, base_dir=base_dir, port=port or free_port(), durable=durable)
        try:
            cluster._init()
            cluster._pg_ctl_start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- connection --

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of a database in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq connection string, for psycopg directly."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create (or re-create, empty) database ``name`` and return its URL."""
        self.drop_database(name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def terminate_backends(self, dbname: str | None = None) -> int:
        """Disconnect every client (of ``dbname`` only, if given); returns how many."""
        query = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        params: tuple[str, ...] = ()
        if dbname is not None:
            query += " AND datname = %s"
            params = (dbname,)
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            row = connection.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    # -- lifecycle --

    def restart(self, mode: str = "immediate") -> None:
        """Stop (``immediate`` skips the shutdown checkpoint: the next start runs crash recovery,
        like after a power cut) and start again on the same port."""
        self._pg_ctl("stop", "-m", mode, "-w")
        self._pg_ctl_start()

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would; its backends notice and exit.
        :meth:`start_again` brings the cluster back through crash recovery."""
        pid = self.postmaster_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)

    def start_again(self) -> None:
        """Start the server after :meth:`kill` (waits for orphaned backends to go)."""
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()
        self._pg_ctl_start()

    def postmaster_pid(self) -> int | None:
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
        except (FileNotFoundError, IndexError):
            return None
        return int(first_line)

    def is_running(self) -> bool:
        done = subprocess.run(
            self._command("pg_ctl", "status", "-D", str(self.data_dir)),
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def stop(self) -> None:
        """Stop the server (fast, then kill if it hangs) and delete the cluster's files."""
        if self.data_dir.exists() and self.is_running():
            done = subprocess.run(
                self._command("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w"),
                capture_output=True,
                check=False,
                timeout=60,
            )
            if done.returncode != 0:
                self.kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    # -- internals --

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", SUPERUSER, "--", *command] if self._as_postgres else command

    def _init(self) -> None:
        if self._as_postgres:
            shutil.chown(self.base_dir, user=SUPERUSER, group=None)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _pg_ctl_start(self) -> None:
        # pg_ctl hands -o to a shell; TCP only (no socket files to clean up or collide on).
        settings = _SERVER_SETTINGS | (_DURABLE_SETTINGS if self.durable else {})
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        options += f" -c unix_socket_directories='' -p {self.port}"
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", options)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), *args)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            raise PostgresUnavailableError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{self.log_tail()}"
            )

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(statement)
