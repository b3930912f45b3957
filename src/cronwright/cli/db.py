"""``cronwright db``: create, migrate and inspect the database schema."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from cronwright.cli import failures
from cronwright.store import migrations
from cronwright.store.database import diagnosis, dialect

app = typer.Typer(name="db", help="Create and migrate the database schema.", no_args_is_help=True)

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="CRONWRIGHT_DATABASE_URL",
        help="SQLAlchemy URL: sqlite:///path.db or postgresql://user@host/db.",
        show_default=True,
    ),
]


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: Url = dialect.DEFAULT_URL,
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    with failures.reported(url):
        diagnosis.check_url(url)
        migrations.upgrade(url, revision)
        typer.echo(f"database at revision {migrations.current(url)}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes everything.")],
    url: Url = dialect.DEFAULT_URL,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask: the data of what is undone is lost.")
    ] = False,
) -> None:
    """Undo migrations down to REVISION; asks first (or give --yes), since tables and columns
    that are removed take their data with them."""
    with failures.reported(url):
        diagnosis.check_url(url)
        migrations.check_revision(revision)
        at = migrations.current(url) or "base"
        if not yes:
            if revision == "base":
                _confirm(f"Drop every table of {_shown(url)} (at revision {at})")
            else:
                _confirm(f"Undo the migrations of {_shown(url)} from {at} down to {revision}")
        migrations.downgrade(url, revision)
        typer.echo(f"database at revision {migrations.current(url) or 'base'}")


@app.command()
def current(url: Url = dialect.DEFAULT_URL) -> None:
    """Show the database's revision and the newest one this version ships."""
    with failures.reported(url):
        diagnosis.check_url(url)
        at = migrations.current(url) or "base"
        head = migrations.head()
    typer.echo(f"{at} (head: {head}){'' if at == head else ' - run: cronwright db upgrade'}")


def _confirm(what: str) -> None:
    if not sys.stdin.isatty():
        failures.fail(
            f"{what} deletes data: run it on a terminal to confirm, or add --yes",
            failures.EXIT_INVALID,
        )
    if not typer.confirm(f"{what}? The data of what is undone is lost"):
        failures.fail("nothing changed", failures.EXIT_ERROR)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
