"""Flags shared by the process commands, and turning them plus the environment into Settings.

A flag given on the command line wins over its ``CRONWRIGHT_*`` variable; a flag not given leaves
the variable (or the default) in force.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import pydantic
import pydantic_settings
import typer

from cronwright import settings as settings_module
from cronwright.bootstrap import errors as startup


def described(text: str, setting: str) -> str:
    """Help for a flag that sets ``setting``: what it does, its variable and its default."""
    default = settings_module.shown_default(setting)
    return f"{text} ({settings_module.env_name(setting)}; default {default or 'off'})."


Url = Annotated[
    str | None,
    typer.Option("--url", help=described("Database URL", "database_url"), show_default=False),
]
Host = Annotated[str | None, typer.Option("--host", help=described("Listen address", "host"))]
Port = Annotated[int | None, typer.Option("--port", help=described("Listen port", "port"))]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency", help=described("Runs at once in this process", "worker_concurrency")
    ),
]
MetricsPort = Annotated[
    int | None,
    typer.Option("--metrics-port", help=described("Serve /metrics on this port", "metrics_port")),
]
LogLevel = Annotated[
    str | None,
    typer.Option("--log-level", help=described("DEBUG, INFO, WARNING or ERROR", "log_level")),
]
LogFormat = Annotated[
    str | None,
    typer.Option("--log-format", help=described("console or json", "log_format")),
]

# Setting name -> the flag that sets it, for error messages about a flag.
FLAGS = {
    "database_url": "--url",
    "host": "--host",
    "port": "--port",
    "worker_concurrency": "--concurrency",
    "metrics_port": "--metrics-port",
    "log_level": "--log-level",
    "log_format": "--log-format",
}


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"cronwright: {message}", err=True)
    raise typer.Exit(code)


def load_settings(**flags: Any) -> settings_module.Settings:
    """The environment, overridden by the flags that were given; a bad value exits with
    code 2 and one line naming the variable or flag."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return settings_module.Settings(**given)
    except pydantic.ValidationError as exc:
        named = {name: flag for name, flag in FLAGS.items() if name in given}
        fail(settings_module.describe_error(exc, flags=named), startup.EXIT_CONFIG)
    except pydantic_settings.SettingsError as exc:
        fail(str(exc), startup.EXIT_CONFIG)
