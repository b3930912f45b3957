"""The ``cronwright`` command line."""

from __future__ import annotations

import typer

from cronwright.cli import cron, db

app = typer.Typer(
    name="cronwright",
    help="Durable, exactly-once cron scheduling of workflows.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.command(name="cron")(cron.command)


@app.callback()
def _root() -> None:
    """Durable, exactly-once cron scheduling of workflows."""


def main() -> None:
    app()
