"""``cronwright org`` and ``cronwright apikey``: tenants and the keys that act for them."""

from __future__ import annotations

from typing import Annotated

import typer

from cronwright import domain
from cronwright.cli.admin import target
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    Json,
    Org,
    OrgOrKey,
    Url,
    emit_json,
    opened,
    print_table,
    say,
    when,
)

org_app = typer.Typer(
    name="org",
    help="Create and list organizations (on the database only: the API acts within one).",
    no_args_is_help=True,
)
key_app = typer.Typer(name="apikey", help="Issue, list and revoke API keys.", no_args_is_help=True)

MaxSchedules = Annotated[
    int,
    typer.Option("--max-schedules", min=0, help="Quota: live schedules."),
]
MaxRuns = Annotated[
    int,
    typer.Option("--max-concurrent-runs", min=0, help="Quota: runs running at once."),
]


def _org_json(org: domain.Organization) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "max_schedules": org.max_schedules,
        "max_concurrent_runs": org.max_concurrent_runs,
        "schedule_count": org.schedule_count,
        "created_at": org.created_at,
    }


def _org_row(org: domain.Organization) -> list[str]:
    return [
        str(org.id),
        org.name,
        f"{org.schedule_count}/{org.max_schedules}",
        str(org.max_concurrent_runs),
        when(org.created_at),
    ]


_ORG_COLUMNS = ("id", "name", "schedules", "max running", "created (UTC)")


@org_app.command("create")
def org_create(
    invoked: typer.Context,
    name: Annotated[str, typer.Argument(help="Unique organization name.")],
    max_schedules: MaxSchedules = domain.organization.DEFAULT_MAX_SCHEDULES,
    max_concurrent_runs: MaxRuns = domain.organization.DEFAULT_MAX_CONCURRENT_RUNS,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Create an organization."""
    with opened(invoked, url) as ctx:
        org = ctx.service.organizations.create(
            name, max_schedules=max_schedules, max_concurrent_runs=max_concurrent_runs
        )
    if as_json:
        emit_json(_org_json(org))
    else:
        say(f'created organization "{org.name}" (id {org.id})')


@org_app.command("list")
def org_list(invoked: typer.Context, url: Url = DEFAULT_URL, as_json: Json = False) -> None:
    """List organizations with their quotas."""
    with opened(invoked, url) as ctx:
        orgs = ctx.store.list_organizations()
    if as_json:
        emit_json([_org_json(org) for org in orgs])
    else:
        print_table(_ORG_COLUMNS, [_org_row(org) for org in orgs])


@org_app.command("quotas")
def org_quotas(
    invoked: typer.Context,
    org: Org,
    max_schedules: MaxSchedules,
    max_concurrent_runs: MaxRuns,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Set an organization's quotas."""
    with opened(invoked, url) as ctx:
        found = ctx.organization(org)
        changed = ctx.service.organizations.set_quotas(
            found.id, max_schedules=max_schedules, max_concurrent_runs=max_concurrent_runs
        )
    if as_json:
        emit_json(_org_json(changed))
    else:
        print_table(_ORG_COLUMNS, [_org_row(changed)])


# -- API keys -------------------------------------------------------------------------------------


def _key_json(key: domain.ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


@key_app.command("create")
def key_create(
    invoked: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    org: OrgOrKey = None,
    role: Annotated[domain.Role, typer.Option("--role", help="What it may do.")] = (
        domain.Role.VIEWER
    ),
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Issue an API key. Its token is printed once and stored nowhere. (An organization's first
    key is made on the database; with --api an admin key makes the next ones.)"""
    with target.opened(invoked, url, org) as admin:
        issued = admin.issue_api_key(name=name, role=role)
    if as_json:
        emit_json({**_key_json(issued.key), "token": issued.token})
        return
    say(f'created {issued.key.role.value} key "{issued.key.name}" (id {issued.key.id})')
    say("token (shown once, keep it secret):")
    typer.echo(issued.token)


@key_app.command("list")
def key_list(
    invoked: typer.Context, org: OrgOrKey = None, url: Url = DEFAULT_URL, as_json: Json = False
) -> None:
    """List an organization's keys (never their secrets)."""
    with target.opened(invoked, url, org) as admin:
        keys = admin.api_keys()
    if as_json:
        emit_json([_key_json(key) for key in keys])
        return
    print_table(
        ("id", "name", "role", "prefix", "created (UTC)", "last used", "revoked"),
        [
            [
                str(key.id),
                key.name,
                key.role.value,
                key.prefix,
                when(key.created_at),
                when(key.last_used_at),
                when(key.revoked_at),
            ]
            for key in keys
        ],
    )


@key_app.command("revoke")
def key_revoke(
    invoked: typer.Context,
    key_id: Annotated[int, typer.Argument(help="The key's id (see apikey list).")],
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Revoke a key: it stops working at once. Revoking a revoked key changes nothing."""
    with target.opened(invoked, url, org) as admin:
        key = admin.revoke_api_key(domain.ApiKeyId(key_id))
    if as_json:
        emit_json(_key_json(key))
    else:
        say(f'revoked key "{key.name}" (id {key.id}) at {when(key.revoked_at)} UTC')
