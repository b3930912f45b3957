"""``cronwright templates``: list, show, save and use schedule templates (docs/templates.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from cronwright import errors
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    EXIT_INVALID,
    Json,
    OrgOrKey,
    Url,
    author,
    emit_json,
    fail,
    print_table,
    reported,
    say,
)
from cronwright.cli.admin.target import opened
from cronwright.service import templates as service_templates

app = typer.Typer(help="Schedule templates: list, show, save and use them.", no_args_is_help=True)

OptionalOrg = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Organization name or id; its own templates are listed too (with --api: the key's).",
    ),
]
Version = Annotated[int | None, typer.Option("--version", min=1, help="Default: the newest.")]


@app.command("list")
def list_(
    invoked: typer.Context, org: OptionalOrg = None, url: Url = DEFAULT_URL, as_json: Json = False
) -> None:
    """The shipped templates, and an organization's own with --org."""
    with opened(invoked, url, org, org_required=False) as admin:
        entries = admin.templates()
    if as_json:
        emit_json({"items": [_summary(entry) for entry in entries]})
        return
    print_table(
        ("name", "v", "source", "parameters", "description"),
        [
            [
                e.template.name,
                str(e.template.version),
                e.source.value,
                ", ".join(p.name + ("" if p.required else "?") for p in e.template.parameters),
                e.template.description.split(". ")[0].rstrip(".") + ".",
            ]
            for e in entries
        ],
    )
    say("parameters marked ? have defaults")


@app.command("show")
def show(
    invoked: typer.Context,
    name: Annotated[str, typer.Argument(help="The template's name.")],
    org: OptionalOrg = None,
    version: Version = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """A template's description, parameters, workflow and schedule."""
    with opened(invoked, url, org, org_required=False) as admin:
        entry = admin.template(name, version=version)
        made = admin.made_from(name) if admin.organization is not None else []
    if as_json:
        emit_json(
            {
                **_summary(entry),
                "workflow": entry.template.workflow,
                "schedule": entry.template.schedule,
                "versions": list(entry.versions) or [entry.template.version],
                "schedules": [
                    {"schedule_id": o.schedule_id, "template_version": o.template_version}
                    for o in made
                ],
            }
        )
        return
    template = entry.template
    say(f"{template.name} (version {template.version}, {entry.source.value})")
    say(template.description)
    print_table(
        ("parameter", "type", "default", "description"),
        [
            [
                p.name,
                p.type.value,
                "(required, e.g. " + _text(p.example) + ")" if p.required else _text(p.default),
                p.description,
            ]
            for p in template.parameters
        ],
    )
    say(
        yaml.safe_dump(
            {"workflow": template.workflow, "schedule": template.schedule}, sort_keys=False
        )
    )
    if made:
        say(
            "schedules made from it: "
            + ", ".join(f"{o.schedule_id} (v{o.template_version})" for o in made)
        )


@app.command("use")
def use(
    invoked: typer.Context,
    name: Annotated[str, typer.Argument(help="The template's name.")],
    schedule_name: Annotated[str, typer.Option("--name", help="The new schedule's name.")],
    org: OrgOrKey = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A parameter: NAME=VALUE (repeat for each)."),
    ] = None,
    workflow_name: Annotated[
        str | None, typer.Option("--workflow-name", help="Default: the schedule's name.")
    ] = None,
    version: Version = None,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and print what would be made; write nothing.")
    ] = False,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Make a workflow and a schedule from a template."""
    with opened(invoked, url, org) as admin:
        entry = admin.template(name, version=version)
        values = _values(entry, param or [])
        if dry_run:
            rendered = admin.render_template(name, parameters=values, version=version)
            emit_json(
                {
                    "workflow": rendered.workflow,
                    "schedule": rendered.schedule,
                    "parameters": rendered.values,
                }
            )
            return
        made = admin.instantiate(
            name,
            schedule_name=schedule_name,
            workflow_name=workflow_name,
            parameters=values,
            version=version,
            paused=paused,
            author=author(),
        )
    if as_json:
        emit_json(
            {
                "schedule_id": made.schedule.id,
                "workflow_id": made.workflow_id,
                "template": made.origin.template,
                "template_version": made.origin.template_version,
                "parameters": made.origin.parameters,
                "next_fire_at": made.schedule.next_fire_at,
            }
        )
        return
    say(
        f"created schedule {made.schedule.spec.name!r} (id {made.schedule.id}) and workflow "
        f"{made.workflow_name!r} (id {made.workflow_id}) "
        f"from {name} v{made.origin.template_version}"
    )


@app.command("save")
def save(
    invoked: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A template as YAML or JSON.", exists=True, dir_okay=False)
    ],
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Save a template file as the next version of the organization's template of its name."""
    with reported():
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            fail(f"{file}: {exc}", EXIT_INVALID)
    with opened(invoked, url, org) as admin:
        entry = admin.save_template(document, author=author())
    if as_json:
        emit_json(_summary(entry))
        return
    say(f"saved {entry.template.name} version {entry.template.version}")


def _values(entry: service_templates.CatalogEntry, given: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` pairs, each read as its parameter's type."""
    by_name = {p.name: p for p in entry.template.parameters}
    values: dict[str, object] = {}
    for pair in given:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep:
            raise errors.InvalidInput(
                field=f"parameters.{name}", message="write --param NAME=VALUE"
            )
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise errors.InvalidInput(
                field=f"parameters.{name}", message=f"unknown parameter; this template has: {known}"
            )
        values[name] = by_name[name].from_text(text)
    return values


def _summary(entry: service_templates.CatalogEntry) -> dict[str, object]:
    return {
        "name": entry.template.name,
        "version": entry.template.version,
        "source": entry.source.value,
        "description": entry.template.description,
        "parameters": [p.to_json() for p in entry.template.parameters],
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)
