"""``cronwright apply FILE``: make an organization's workflows and schedules match a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.text import Text

from cronwright import domain
from cronwright.cli import options, progress
from cronwright.cli.admin import local, server
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    EXIT_INVALID,
    Json,
    Url,
    console,
    fail,
    opened,
)
from cronwright.service import declarative

_STYLES = {"+": "green", "~": "yellow", "-": "red"}
AUTHOR_LIMIT = 200  # the audit trail's author column


def command(
    invoked: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="YAML, JSON or TOML (*.toml) file (see docs/apply.md).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete workflows and schedules the file does not name."),
    ] = False,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Make an organization's workflows and schedules match FILE (YAML, JSON or TOML).

    Creates and changes them (with --prune, deletes what FILE does not name); applying the same
    file twice changes nothing. Everything is validated before anything is written; every error
    of the file is reported at once, naming the file, line and field. Retry fields a schedule
    leaves out take the operator's CRONWRIGHT_RETRY_* settings. With --api, through a server's
    API as the key's organization. Exit status: 0 done (or nothing to do), 2 the file or a
    setting is invalid, 1 anything else.
    """
    chosen = server.chosen(invoked)
    settings = options.load_settings(database_url=None if chosen else url)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: {exc}", EXIT_INVALID)
    retry_defaults = settings.retry_defaults
    if chosen is not None:
        # The client brings the API's models: loaded for --api only (see admin/target.py).
        from cronwright.cli.admin import connect, remote_apply

        with connect.session(chosen) as (api, organization):
            document = _loaded(text, file)
            _check_organization(document, organization)
            applier = remote_apply.applier(
                api, organization, clock=connect.host_clock(), retry_defaults=retry_defaults
            )
            plan = _applied(applier, document, file, dry_run=dry_run, prune=prune, as_json=as_json)
    else:
        with opened(invoked, url, retry_defaults=retry_defaults) as ctx:
            document = _loaded(text, file)
            applier = declarative.Declarative(
                ctx.service, ctx.store, ctx.clock, templates=local.catalog(ctx)
            )
            plan = _applied(applier, document, file, dry_run=dry_run, prune=prune, as_json=as_json)
    _report(plan, dry_run=dry_run, as_json=as_json)


def _loaded(text: str, file: Path) -> declarative.Document:
    try:
        return declarative.load(text, file=str(file))
    except declarative.ApplyErrors as exc:
        _invalid(exc, file)


def _applied(
    applier: declarative.Applier,
    document: declarative.Document,
    file: Path,
    *,
    dry_run: bool,
    prune: bool,
    as_json: bool,
) -> declarative.Plan:
    """The plan, carried out unless ``dry_run``."""
    try:
        plan = applier.plan(document, prune=prune)
    except declarative.ApplyErrors as exc:
        _invalid(exc, file)
    if not dry_run and not plan.is_empty:
        with progress.tracker(enabled=progress.wanted(as_json=as_json)) as bars:
            applier.apply(
                plan,
                author=f"apply:{file}"[:AUTHOR_LIMIT],
                advance=bars.table(f"applying {file.name}", plan.size),
            )
    return plan


def _invalid(exc: declarative.ApplyErrors, file: Path) -> NoReturn:
    fail(f"{exc}\n{len(exc.errors)} errors in {file}; nothing was written", EXIT_INVALID)


def _check_organization(document: declarative.Document, organization: domain.Organization) -> None:
    """Through the API the organization is the key's; a file may only name that one."""
    if document.organization and document.organization != organization.name:
        raise document.source.error(
            "organization",
            f"{document.organization!r} is not the API key's organization {organization.name!r} "
            f"(id {organization.id}); apply the file with a key of {document.organization!r}",
        )


def _report(plan: declarative.Plan, *, dry_run: bool, as_json: bool) -> None:
    lines = plan.lines()
    if as_json:
        result = {"organization": plan.organization, "dry_run": dry_run, "changes": lines}
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    out = console()
    for line in lines:
        out.print(Text(line, style=_STYLES.get(line[:1], "")), soft_wrap=True)
    if not lines:
        out.print(f'organization "{plan.organization}" already matches the file', markup=False)
    elif dry_run:
        out.print(f"dry run: {len(lines)} change(s) not applied")
    else:
        out.print(f"applied {len(lines)} change(s)")
