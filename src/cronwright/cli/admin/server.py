"""Which target the admin commands work on: the database, or a server's API.

The root command takes ``--api URL`` and ``--api-key`` (or ``CRONWRIGHT_API_URL`` and
``CRONWRIGHT_API_KEY``) and leaves the :class:`Server` in the root context. A command then works
through that server unless its own ``--url`` was given on the command line. Precedence, first
that applies: ``--api``, ``--url``, ``CRONWRIGHT_API_URL``, ``CRONWRIGHT_DATABASE_URL``, the
default database; ``--api`` together with ``--url`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer

from cronwright.cli import failures

API_URL_VARIABLE = "CRONWRIGHT_API_URL"
API_KEY_VARIABLE = "CRONWRIGHT_API_KEY"

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api",
        envvar=API_URL_VARIABLE,
        metavar="URL",
        show_default=False,
        help="Work through the API of the server at URL (http://host:port) instead of on the "
        "database; the organization is the API key's.",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar=API_KEY_VARIABLE,
        show_default=False,
        help="The API key for --api. Prefer the variable: a flag's value is seen in the process "
        "list and the shell history. Asked for on a terminal when neither is given.",
    ),
]


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    key: str | None = field(repr=False)  # a secret: never printed, never logged
    from_flag: bool  # --api on the command line, not only the variable


def remember(ctx: typer.Context, url: str | None, key: str | None) -> Server | None:
    """Called by the root command: keep the server chosen for the commands below it."""
    url = (url or "").strip()
    if not url:
        return None
    server = Server(url=url, key=key, from_flag=_on_command_line(ctx, "api_url"))
    ctx.obj = server
    return server


def chosen(ctx: typer.Context) -> Server | None:
    """The server command ``ctx`` works through, or None for the database."""
    server = ctx.find_root().obj
    if not isinstance(server, Server):
        return None
    url_given = _on_command_line(ctx, "url")
    if url_given and server.from_flag:
        failures.fail("give --api or --url, not both", failures.EXIT_INVALID)
    return None if url_given else server


def refuse_remote(ctx: typer.Context) -> None:
    """For a command the API cannot serve: ``DatabaseOnly`` when a server was chosen."""
    if chosen(ctx) is not None:
        names: list[str] = []  # the command as typed after ``cronwright``: "org create"
        at: typer.Context | None = ctx
        while at is not None and at.parent is not None:
            names.insert(0, at.info_name or "")
            at = at.parent  # type: ignore[assignment]
        raise failures.DatabaseOnly(" ".join(names))


def _on_command_line(ctx: typer.Context, parameter: str) -> bool:
    source = ctx.get_parameter_source(parameter)
    return source is not None and source.name == "COMMANDLINE"
