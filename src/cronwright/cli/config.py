"""``cronwright config``: the effective configuration, secrets masked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cronwright.cli import options


def command(
    url: options.Url = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print every setting as NAME=value: the CRONWRIGHT_* environment over the defaults.

    Passwords in the database URL and secrets are shown as ***.
    Exit status 2: a setting is invalid (the message names it).
    """
    settings = options.load_settings(database_url=url)
    shown = settings.masked()
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    for name, value in shown.items():
        typer.echo(f"{name}={value}")
