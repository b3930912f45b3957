"""What every admin command shares: opening the database, finding the organization named by
``--org``, printing a table or JSON, and turning errors into one line and an exit status."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cronwright import clock, domain, errors, service
from cronwright.bootstrap import root
from cronwright.cli import failures
from cronwright.cli.admin import server
from cronwright.service import declarative, triggers
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import diagnosis, dialect

# Where "now" comes from; tests put a FakeClock factory here. None: the composition root's
# clock (the database's on PostgreSQL, whatever this host's clock says).
make_clock: Callable[[], clock.Clock] | None = None

EXIT_ERROR = failures.EXIT_ERROR  # not found, conflict, refused
EXIT_INVALID = failures.EXIT_INVALID  # bad input
PIPE_WIDTH = 200

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="CRONWRIGHT_DATABASE_URL",
        help="Database URL: sqlite:///path.db or postgresql://user@host/db.",
    ),
]
DEFAULT_URL = dialect.DEFAULT_URL
Org = Annotated[str, typer.Option("--org", help="Organization name or id.")]
# Required on the database; through --api the key's organization, which --org may name.
OrgOrKey = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Organization name or id; required on the database (with --api: the key's).",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@dataclass(frozen=True, slots=True)
class Context:
    store: sql_catalog.SqlCatalog
    service: service.Service
    triggers: triggers.Triggers
    clock: clock.Clock
    root: root.Root  # the process's engine and the store's parts over it

    def organization(self, name_or_id: str) -> domain.Organization:
        """By exact name; else, for a number, by id."""
        for org in self.store.list_organizations():
            if org.name == name_or_id.strip():
                return org
        if name_or_id.strip().isdigit():
            return self.service.organizations.get(domain.OrganizationId(int(name_or_id)))
        raise errors.OrganizationNotFound(name_or_id)


@contextmanager
def opened(
    command: typer.Context, url: str, *, retry_defaults: domain.RetryDefaults | None = None
) -> Iterator[Context]:
    """The database at ``url``, which must be at the newest schema; errors become exit codes.
    ``retry_defaults``: for commands that create schedules (the operator's settings). A command
    that only the database can serve is refused here when ``--api`` chose a server."""
    server.refuse_remote(command)
    with reported(url):
        _check_schema(url)
        process = root.Root.open(url, clock=None if make_clock is None else make_clock())
        store, now = process.store, process.clock()
        try:
            yield Context(
                store=store,
                service=service.Service.build(store, now, retry_defaults=retry_defaults),
                triggers=triggers.Triggers(store, process.slot_ledger(), now),
                clock=now,
                root=process,
            )
        finally:
            process.close()


def _check_schema(url: str) -> None:
    diagnosis.check_url(url)
    if not dialect.sqlite_file_exists(url):  # a typo in the path, or a database never made
        fail(
            f"no database at {url} (the file does not exist): check {diagnosis.WHERE}, "
            "or create it with cronwright db upgrade"
        )
    at, head = migrations.current(url), migrations.head()
    if at != head:
        fail(f"the database is at revision {at or 'base'}, not {head}: run cronwright db upgrade")


reported = failures.reported
fail = failures.fail


def author() -> str:
    """Who the audit trail names for a change made from this shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


# -- output -------------------------------------------------------------------------------------


def plain(value: object) -> object:
    """A JSON value for any field of our dataclasses."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def emit_json(value: object) -> None:
    typer.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def field_text(value: object, *, zone_mark: str = "") -> str:
    """One field of a record in a table cell: durations as in the settings, instants in UTC
    (followed by ``zone_mark``), enums by value, anything else as text or JSON."""
    if isinstance(value, timedelta):
        return declarative.format_duration(value)
    if isinstance(value, datetime):
        return when(value) + zone_mark
    if isinstance(value, Enum):
        return str(value.value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None
) -> None:
    table = Table(*columns, box=box.SIMPLE, pad_edge=False, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # names are data, not Rich markup
    console().print(table)


def say(text: str) -> None:
    console().print(text, markup=False)


def console() -> Console:
    """A terminal's own width; piped output is not squeezed into 80 columns."""
    found = Console(highlight=False)
    return found if found.is_terminal else Console(highlight=False, width=PIPE_WIDTH)
