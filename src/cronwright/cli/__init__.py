"""The ``cronwright`` command line."""

from __future__ import annotations

import typer

from cronwright.cli import admin, apply, config, cron, db, dbcopy, serve, status

app = typer.Typer(
    name="cronwright",
    help="Durable, exactly-once cron scheduling of workflows.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
db.app.command(name="copy")(dbcopy.command)
admin.register(app)
app.command(name="apply")(apply.command)
app.command(name="cron")(cron.command)
app.command(name="serve")(serve.serve)
app.command(name="scheduler")(serve.scheduler)
app.command(name="worker")(serve.worker)
app.command(name="api")(serve.api)
app.command(name="config")(config.command)
app.command(name="status")(status.command)


@app.callback()
def _root() -> None:
    """Durable, exactly-once cron scheduling of workflows."""


def main() -> None:
    app()
