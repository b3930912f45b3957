"""``cronwright serve --demo``: an organization with schedules that fire within seconds.

Seeding is idempotent by name (a second start finds the organization, workflows and schedules
it made before); each start issues a new admin API key, because a key's secret is shown only
once and the previous one may be lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from cronwright import domain, errors, service
from cronwright.examples import demo as demo_actions
from cronwright.store import contracts

ORGANIZATION = "demo"
AUTHOR = "demo"
MODULE = demo_actions.__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeded:
    organization: domain.Organization
    key: domain.IssuedApiKey
    schedules: tuple[domain.Schedule, ...]


def _workflows(base_url: str, kinds: frozenset[str]) -> list[tuple[str, str, domain.JsonObject]]:
    """(name, cron, definition) of each demo workflow whose action kinds are installed."""
    hello: domain.JsonObject = {
        "steps": [
            {"name": "greet", "kind": "python", "config": {"function": demo_actions.GREET}},
            {
                "name": "checksum",
                "kind": "python",
                "config": {"function": demo_actions.CHECKSUM},
                "depends_on": ["greet"],
            },
        ]
    }
    found = [("hello every 10 seconds", "*/10 * * * * *", hello)]
    if "http" in kinds:
        health: domain.JsonObject = {
            "steps": [
                {
                    "name": "healthz",
                    "kind": "http",
                    "config": {"method": "GET", "url": f"{base_url}/healthz"},
                }
            ]
        }
        found.append(("health check every 15 seconds", "*/15 * * * * *", health))
    return found


def seed(
    store: contracts.Catalog, services: service.Service, *, base_url: str, kinds: frozenset[str]
) -> Seeded:
    organization = _organization(store, services)
    org_id = organization.id
    key = services.organizations.issue_api_key(org_id, name="demo admin", role=domain.Role.ADMIN)
    workflows = {w.name: w for w in services.workflows.list(org_id, limit=100).items}
    schedules = {
        s.spec.name: s
        for s in services.schedules.list(org_id, domain.ScheduleFilter(), limit=100).items
    }
    made: list[domain.Schedule] = []
    for name, cron, definition in _workflows(base_url, kinds):
        workflow = workflows.get(name) or services.workflows.create(
            org_id, name=name, definition=definition
        )
        existing = schedules.get(name)
        if existing is None:
            spec = services.schedules.new_spec(
                workflow_id=workflow.id,
                name=name,
                cron=cron,
                input={"name": "demo"},
                overlap=domain.OverlapPolicy.SKIP,
            )
            existing = services.schedules.create(org_id, spec, author=AUTHOR)
        made.append(existing)
    return Seeded(organization=organization, key=key, schedules=tuple(made))


def _organization(store: contracts.Catalog, services: service.Service) -> domain.Organization:
    for found in store.list_organizations():
        if found.name == ORGANIZATION:
            return found
    try:
        return services.organizations.create(ORGANIZATION)
    except errors.Conflict:  # another process made it first
        return next(o for o in store.list_organizations() if o.name == ORGANIZATION)
