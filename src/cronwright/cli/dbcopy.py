"""``cronwright db copy SOURCE DESTINATION``: move a whole database, e.g. SQLite to PostgreSQL."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from sqlalchemy.engine import make_url

from cronwright.cli import progress
from cronwright.cli.admin import common
from cronwright.store.database import copying


def command(
    source: Annotated[str, typer.Argument(help="URL of the database to copy from.")],
    destination: Annotated[str, typer.Argument(help="URL of the database to copy into.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the destination's rows if it has any.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Copy every table of SOURCE into DESTINATION, keeping ids.

    DESTINATION is migrated to the newest schema first and must be empty unless --force is
    given. Everything is written in one transaction and the row counts are compared before it
    commits: a failed copy leaves DESTINATION as it was. Stop the cronwright processes that
    write to SOURCE first, or their later writes will not be in the copy.
    """
    with common.reported(), progress.tracker(enabled=progress.wanted(as_json=as_json)) as bars:
        report = copying.copy_database(source, destination, force=force, progress=bars)
    shown = make_url(destination).render_as_string(hide_password=True)
    if as_json:
        result = {"destination": shown, "revision": report.revision, "tables": report.rows}
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table("table", "rows", box=box.SIMPLE, pad_edge=False)
    for name, rows in report.rows.items():
        table.add_row(name, str(rows))
    console = common.console()
    console.print(table)
    total = sum(report.rows.values())
    console.print(
        f"Copied {total} rows in {len(report.rows)} tables to {shown} "
        f"(revision {report.revision}); row counts verified.",
        markup=False,
    )
