"""``db downgrade`` deletes data: it asks on a terminal, and elsewhere needs --yes."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import sqlalchemy as sa

from cronwright.store import migrations
from tests.component.cli.conftest import command, cronwright


def tables(path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def answer_on_a_terminal(answer: str, *args: str) -> tuple[int, str]:
    """Run the script with a pseudo-terminal as its stdin and output; type ``answer``."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*command(), *args], stdin=follower, stdout=follower, stderr=follower, close_fds=True
    ) as process:
        os.close(follower)
        seen = b""
        while b"[y/N]: " not in seen:  # the whole prompt, or the echo may come before its space
            seen += os.read(leader, 4096)
        os.write(leader, answer.encode() + b"\n")
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not chunk:
                break
            seen += chunk
        code = process.wait(timeout=120)
    os.close(leader)
    return code, seen.decode(errors="replace").replace("\r\n", "\n")


def test_downgrade_base_asks_and_no_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "cw.db"
    url = f"sqlite:///{path}"
    assert cronwright("db", "upgrade", "--url", url).returncode == 0
    code, shown = answer_on_a_terminal("n", "db", "downgrade", "base", "--url", url)
    assert code == 1
    assert shown.splitlines() == [
        f"Drop every table of {url} (at revision {migrations.head()})? "
        "The data of what is undone is lost [y/N]: n",
        "error: nothing changed",
    ]
    assert "schedules" in tables(path)
    code, shown = answer_on_a_terminal("y", "db", "downgrade", "base", "--url", url)
    assert code == 0
    assert shown.splitlines()[-1] == "database at revision base"
    assert tables(path) == {"alembic_version"}


def test_downgrade_base_off_a_terminal_needs_yes(tmp_path: Path) -> None:
    path = tmp_path / "cw.db"
    url = f"sqlite:///{path}"
    assert cronwright("db", "upgrade", "--url", url).returncode == 0
    done = cronwright("db", "downgrade", "base", "--url", url)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: Drop every table of {url} (at revision {migrations.head()}) deletes data: "
        "run it on a terminal to confirm, or add --yes\n",
    )
    assert "schedules" in tables(path)
    done = cronwright("db", "downgrade", "base", "--url", url, "--yes")
    assert (done.returncode, done.stdout) == (0, "database at revision base\n")
    assert tables(path) == {"alembic_version"}
