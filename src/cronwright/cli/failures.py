"""How every command fails: one line on stderr saying what is wrong and what to do, and the
documented exit status; the traceback only with ``--debug`` (or ``CRONWRIGHT_LOG_LEVEL=DEBUG``).

Exit status: 1 the command could not do its job (the database is unreachable, a name is not
found...), 2 the input is invalid (a flag, a setting, a file, a URL).
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import sqlalchemy as sa
import typer
from typer.core import TyperGroup

from cronwright import errors
from cronwright.store.database import diagnosis

EXIT_ERROR = 1
EXIT_INVALID = 2
DEBUG_HINT = "run again with --debug for the traceback"

# Set by the root command's --debug flag, for this invocation.
debug = False


def debugging() -> bool:
    return debug or os.environ.get("CRONWRIGHT_LOG_LEVEL", "").strip().upper() == "DEBUG"


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``error: message`` (after the traceback being handled, when debugging); exit."""
    if debugging() and sys.exc_info()[1] is not None:
        traceback.print_exc()
    for line in message.splitlines() or [""]:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported(url: str | None = None) -> Iterator[None]:
    """Errors of cronwright and of the database at ``url`` as one line and an exit status."""
    try:
        yield
    except (errors.CronwrightError, sa.exc.DBAPIError) as exc:
        report(exc, url)


class DatabaseOnly(errors.CronwrightError):
    """A command (or an option of one) that the API offers no operation for, asked of a server."""

    def __init__(self, command: str) -> None:
        super().__init__(
            f"`{command}` works on the database only; drop --api (and CRONWRIGHT_API_URL), "
            "or give --url, on a host that reaches the database"
        )


def report(exc: Exception, url: str | None = None) -> NoReturn:
    """Exit with one line about ``exc``."""
    if isinstance(exc, errors.InvalidInput | DatabaseOnly):
        fail(str(exc), EXIT_INVALID)
    if isinstance(exc, errors.CronwrightError):
        fail(str(exc))
    if isinstance(exc, sa.exc.DBAPIError):
        explained = diagnosis.explain(exc, url) if url is not None else None
        fail(explained or f"the database refused: {_one_line(exc.orig or exc)}")
    # The last resort, for an error no command expected.
    fail(f"{type(exc).__name__}: {_one_line(exc)}" + ("" if debugging() else f" ({DEBUG_HINT})"))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class Group(TyperGroup):
    """The root command: whatever a command lets escape becomes one line, not a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # usage errors and exits already say what they have to
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away (| head): not ours to report
                raise
            report(exc)
        except Exception as exc:
            report(exc)
