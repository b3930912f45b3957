"""The ``cronwright`` command line.

Each command group registers itself below; failures of any command are reported by
:class:`cronwright.cli.failures.Group` as one line and an exit status.
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Annotated

import typer

from cronwright import settings
from cronwright.cli import (
    admin,
    apply,
    config,
    cron,
    db,
    dbcopy,
    failures,
    helptext,
    serve,
    status,
    templates,
)
from cronwright.cli.admin import server

app = typer.Typer(
    name="cronwright",
    help="Durable, exactly-once cron scheduling of workflows.",
    no_args_is_help=True,
    add_completion=False,
    cls=failures.Group,
    pretty_exceptions_enable=False,  # --debug prints Python's own traceback
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
app.add_typer(templates.app, name="templates")


def version() -> str:
    try:
        return metadata.version("cronwright")
    except metadata.PackageNotFoundError:  # running from a source tree that was not installed
        return "unknown"


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"cronwright {version()}")
        raise typer.Exit()


# Commands that run on the database by nature: --api on the command line is a mistake there.
DATABASE_COMMANDS = frozenset({"db", "serve", "scheduler", "worker", "api"})


@app.callback()
def _root(
    ctx: typer.Context,
    api_url: server.ApiUrl = None,
    api_key: server.ApiKey = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Print the traceback of an error, not only its line."),
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Durable, exactly-once cron scheduling of workflows.

    The admin commands (schedules, runs, templates, apikey) work on the database (--url or
    CRONWRIGHT_DATABASE_URL), or through a server's API with --api URL (or CRONWRIGHT_API_URL)
    and the key in CRONWRIGHT_API_KEY, with the same output.

    Exit status: 0 done; 1 the command could not do its job (it says why); 2 invalid input
    (a flag, a setting, a file, a URL).
    """
    failures.debug = debug
    for warning in settings.misspelt_variables(os.environ):
        typer.echo(f"warning: {warning}", err=True)
    chosen = server.remember(ctx, api_url, api_key)
    if chosen is not None and chosen.from_flag and ctx.invoked_subcommand in DATABASE_COMMANDS:
        raise failures.DatabaseOnly(ctx.invoked_subcommand)


helptext.install()


def main() -> None:
    app()
