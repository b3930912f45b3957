"""``cronwright db``: create, migrate and inspect the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from cronwright import errors
from cronwright.store import dialect, migrations

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
    try:
        migrations.upgrade(url, revision)
    except errors.DuplicateNames as exc:  # the operator's to resolve: say what, not a traceback
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database at revision {migrations.current(url)}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes everything.")],
    url: Url = dialect.DEFAULT_URL,
) -> None:
    """Undo migrations down to REVISION."""
    migrations.downgrade(url, revision)
    typer.echo(f"database at revision {migrations.current(url) or 'base'}")


@app.command()
def current(url: Url = dialect.DEFAULT_URL) -> None:
    """Show the database's revision and the newest one this version ships."""
    at = migrations.current(url) or "base"
    head = migrations.head()
    typer.echo(f"{at} (head: {head}){'' if at == head else ' - run: cronwright db upgrade'}")
