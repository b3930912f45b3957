"""Open the admin contract on the target the command line chose (``server.py``): the database at
``url``, or the API of a server as the organization of its key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from cronwright.cli import failures
from cronwright.cli.admin import common, local, server
from cronwright.cli.admin.contract import Admin


@contextmanager
def opened(
    command: typer.Context, url: str, org: str | None, *, org_required: bool = True
) -> Iterator[Admin]:
    """For ``command``, whose ``--url`` is ``url`` and ``--org`` is ``org`` (name or id): on the
    database ``org`` is required unless ``org_required`` is false; through the API it may only
    name the key's organization."""
    chosen = server.chosen(command)
    if chosen is not None:
        # The client brings the API's models (FastAPI with them): loaded for --api only, so
        # that commands on the database start as fast as ever.
        from cronwright.cli.admin import connect

        with connect.connected(chosen, org) as admin:
            yield admin
        return
    if org is None and org_required:
        failures.fail(
            "--org is required on the database (through --api the key's organization is used)",
            failures.EXIT_INVALID,
        )
    with common.opened(command, url) as ctx:
        yield local.DatabaseAdmin(ctx, None if org is None else ctx.organization(org))
