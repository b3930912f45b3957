"""Admin commands: ``org``, ``apikey``, ``schedules`` and ``runs``, each with ``--json``."""

from __future__ import annotations

import typer

from cronwright.cli.admin import orgs, runs, schedules


def register(app: typer.Typer) -> None:
    app.add_typer(orgs.org_app, name="org")
    app.add_typer(orgs.key_app, name="apikey")
    app.add_typer(schedules.app, name="schedules")
    app.add_typer(runs.app, name="runs")
