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

Url = Annotated[
    str | None,
    typer.Option("--url", help="Database URL [env: CRONWRIGHT_DATABASE_URL].", show_default=False),
]
Host = Annotated[
    str | None, typer.Option("--host", help="Listen address [env: CRONWRIGHT_HOST; 127.0.0.1].")
]
Port = Annotated[
    int | None, typer.Option("--port", help="Listen port [env: CRONWRIGHT_PORT; 8080].")
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency", help="Runs at once in this process [env: CRONWRIGHT_WORKER_CONCURRENCY]."
    ),
]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        "--metrics-port", help="Serve /metrics on this port [env: CRONWRIGHT_METRICS_PORT]."
    ),
]
LogLevel = Annotated[
    str | None, typer.Option("--log-level", help="DEBUG, INFO... [env: CRONWRIGHT_LOG_LEVEL].")
]
LogFormat = Annotated[
    str | None,
    typer.Option("--log-format", help="console or json [env: CRONWRIGHT_LOG_FORMAT]."),
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
