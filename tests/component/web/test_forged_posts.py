"""Every form the dashboard accepts refuses a post without the page's form token, whoever is
signed in and whatever it asks: the route list is read from the dashboard itself, so a form
added later is covered without anyone remembering to list it."""

from __future__ import annotations

import re

from cronwright import domain
from cronwright.web import create_dashboard
from tests.component.web.conftest import Site, Tenant

# What each action of an ``{action}`` route may be: every one is tried.
ACTIONS = {
    "/runs/{run_id}/{action}": ["retry", "cancel"],
    "/schedules/{schedule_id}/{action}": ["pause", "resume", "rollback", "trigger", "backfill"],
}
# Sign-in and sign-out are guarded the same way; tests/component/security covers them with a
# visitor who is not signed in.
SIGNED_OUT = {"/signin", "/signout"}


def post_routes(site: Site) -> list[str]:
    dashboard = create_dashboard(
        site.container.service,
        site.clock,
        triggers=site.container.triggers,
        queue=site.container.queue,
        templates=site.container.templates,
    )
    # The schema FastAPI derives from the routes (not served: the dashboard has no docs page).
    paths = dashboard.openapi()["paths"]
    return sorted(path for path, operations in paths.items() if "post" in operations)


def objects(site: Site, tenant: Tenant) -> dict[str, str]:
    """Real ids of ``tenant``'s objects, by the name of the path parameter that takes them."""
    schedule = site.schedule(tenant, "forged", "17 3 * * *")
    run = site.run(tenant, domain.RunState.FAILED)
    key = site.service.organizations.issue_api_key(
        tenant.org.id, name="spare", role=domain.Role.VIEWER
    )
    channel = site.container.alert_channels.create(
        tenant.org.id,
        name="forged hook",
        kind=domain.AlertChannelKind.EMAIL,
        target="ops@example.org",
        events=["run_failed"],
    )
    return {
        "schedule_id": str(schedule.id),
        "workflow_id": str(tenant.workflow.id),
        "run_id": str(run.id),
        "key_id": str(key.key.id),
        "channel_id": str(channel.id),
        "name": "http-health-check",
    }


def concrete(path: str, values: dict[str, str]) -> list[str]:
    """``path`` with ``values`` in its parameters, once per action it may name."""
    filled = re.sub(r"\{(\w+_id|name)\}", lambda m: values[m[1]], path)
    return [filled.replace("{action}", action) for action in ACTIONS.get(path, [""])]


def test_every_dashboard_form_refuses_a_post_without_its_token(site: Site, acme: Tenant) -> None:
    paths = post_routes(site)
    assert "/templates/{name}/instantiate" in paths  # the list is the dashboard's own
    admin = site.signed_in(acme.tokens["admin"])
    values = objects(site, acme)
    tried = 0
    for path in paths:
        if path in SIGNED_OUT:
            continue
        for url in concrete(path, values):
            before = site.service.schedules.list(acme.org.id, cursor=None, limit=100).items
            response = admin.post(f"/ui{url}", data={"name": "forged", "version": "1"})
            assert response.status_code == 403, (url, response.status_code)
            after = site.service.schedules.list(acme.org.id, cursor=None, limit=100).items
            assert after == before, url
            tried += 1
    assert tried >= 14
