"""Every route by every kind of caller, with the status each must get.

The routes come from the app's own route table and the role each demands from its dependencies,
so a new route fails here until it has a request below: nothing escapes the matrix. A caller with
enough rank gets the route's success status; too low a role is 403; no key or a revoked one 401;
the admin of another organization gets 404 for anything addressed by id (and acts in their own
organization on collections).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cronwright import domain
from cronwright.api import app as api_app
from cronwright.api.auth import RANK, required_role
from tests.component.api.conftest import STEPS, Api, Tenant, schedule_body
from tests.support.rows import add_run

V1 = "/api/v1"
CALLERS = ("anonymous", "revoked", "viewer", "editor", "admin", "rival")
_unique = itertools.count(1)


@dataclass(frozen=True)
class Request:
    url: str
    json: Any = None
    headers: dict[str, str] | None = None


Build = Callable[[Api, Tenant], Request]


def _schedule(api: Api, tenant: Tenant) -> int:
    spec = domain.ScheduleSpec(
        workflow_id=tenant.workflow.id,
        name=f"matrix {next(_unique)}",
        cron="0 3 * * *",
        input={"n": next(_unique)},
    )
    return int(api.service.schedules.create(tenant.org.id, spec, author="test").id)


def _workflow(api: Api, tenant: Tenant) -> int:
    name = f"w{next(_unique)}"
    return int(api.service.workflows.create(tenant.org.id, name=name, definition=STEPS).id)


def _run(api: Api, tenant: Tenant, state: domain.RunState = domain.RunState.PENDING) -> int:
    now = api.clock.now()
    run = add_run(
        api.service.runs._store,
        domain.NewRun(
            org_id=tenant.org.id,
            workflow_id=tenant.workflow.id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=now,
            available_at=now,
            max_attempts=1,
            created_at=now,
            state=state,
        ),
    )
    assert run is not None
    return int(run.id)


def _channel(api: Api, tenant: Tenant) -> int:
    channel = api.container.alert_channels.create(
        tenant.org.id,
        name=f"c{next(_unique)}",
        kind=domain.AlertChannelKind.EMAIL,
        target="ops@example.org",
        events=["run_failed"],
    )
    return int(channel.id)


def _key(api: Api, tenant: Tenant) -> int:
    issued = api.service.organizations.issue_api_key(
        tenant.org.id, name="k", role=domain.Role.VIEWER
    )
    return int(issued.key.id)


def _template(api: Api, tenant: Tenant) -> str:
    """A template of the tenant's own (a shipped one is everyone's, so it shows no scoping)."""
    name = f"own-{next(_unique)}"
    api.container.templates.save(tenant.org.id, {**TEMPLATE, "name": name}, author="test")
    return name


TEMPLATE: dict[str, Any] = {
    "name": "matrix",
    "description": "A template for the access matrix.",
    "parameters": [
        {"name": "url", "type": "url", "description": "Where", "default": "https://e.org"}
    ],
    "workflow": {"steps": [{"name": "get", "kind": "http", "config": {"url": "{{ params.url }}"}}]},
    "schedule": {"cron": "0 4 * * *"},
}


def _s(suffix: str = "", **kw: Any) -> Build:
    return lambda api, t: Request(f"{V1}/schedules/{_schedule(api, t)}{suffix}", **kw)


def _channel_body() -> dict[str, Any]:
    return {
        "name": f"c{next(_unique)}",
        "kind": "email",
        "target": "a@example.org",
        "events": ["run_failed"],
    }


def _named() -> str:
    return f"named {next(_unique)}"


REQUESTS: dict[tuple[str, str], Build] = {
    ("GET", "/healthz"): lambda api, t: Request("/healthz"),
    ("GET", "/readyz"): lambda api, t: Request("/readyz"),
    ("GET", "/metrics"): lambda api, t: Request("/metrics"),
    ("POST", f"{V1}/schedules"): lambda api, t: Request(
        f"{V1}/schedules", json=schedule_body(t, name=_named(), input={"n": next(_unique)})
    ),
    ("PUT", f"{V1}/schedules/by-name/{{name}}"): lambda api, t: Request(
        f"{V1}/schedules/by-name/{_named()}",
        json=schedule_body(t, name=None, input={"n": next(_unique)}),
    ),
    ("GET", f"{V1}/schedules"): lambda api, t: Request(f"{V1}/schedules"),
    ("GET", f"{V1}/schedules/{{schedule_id}}"): _s(),
    ("PATCH", f"{V1}/schedules/{{schedule_id}}"): lambda api, t: Request(
        f"{V1}/schedules/{_schedule(api, t)}",
        json={"name": _named()},
        headers={"If-Match": '"1"'},
    ),
    ("DELETE", f"{V1}/schedules/{{schedule_id}}"): _s(),
    ("POST", f"{V1}/schedules/{{schedule_id}}/pause"): _s("/pause"),
    ("POST", f"{V1}/schedules/{{schedule_id}}/resume"): _s("/resume"),
    ("GET", f"{V1}/schedules/{{schedule_id}}/runs"): _s("/runs"),
    ("GET", f"{V1}/schedules/{{schedule_id}}/next"): _s("/next"),
    ("GET", f"{V1}/schedules/{{schedule_id}}/versions"): _s("/versions"),
    ("GET", f"{V1}/schedules/{{schedule_id}}/versions/{{version}}"): _s("/versions/1"),
    ("GET", f"{V1}/schedules/{{schedule_id}}/diff"): _s("/diff?from=1&to=1"),
    ("POST", f"{V1}/schedules/{{schedule_id}}/rollback"): _s("/rollback", json={"version": 1}),
    ("GET", f"{V1}/schedules/{{schedule_id}}/events"): _s("/events"),
    ("POST", f"{V1}/schedules/{{schedule_id}}/trigger"): _s("/trigger", json={"input": {"x": 1}}),
    ("POST", f"{V1}/schedules/{{schedule_id}}/backfill"): _s(
        "/backfill",
        json={"since": "2026-02-27T00:00:00Z", "until": "2026-03-02T00:00:00Z", "dry_run": True},
    ),
    ("POST", f"{V1}/runs/{{run_id}}/cancel"): lambda api, t: Request(
        f"{V1}/runs/{_run(api, t)}/cancel"
    ),
    ("POST", f"{V1}/runs/{{run_id}}/retry"): lambda api, t: Request(
        f"{V1}/runs/{_run(api, t, domain.RunState.FAILED)}/retry"
    ),
    ("POST", f"{V1}/cron/validate"): lambda api, t: Request(
        f"{V1}/cron/validate", json={"expression": "@daily"}
    ),
    ("POST", f"{V1}/workflows"): lambda api, t: Request(
        f"{V1}/workflows", json={"name": _named(), "definition": STEPS}
    ),
    ("PUT", f"{V1}/workflows/by-name/{{name}}"): lambda api, t: Request(
        f"{V1}/workflows/by-name/{_named()}", json={"definition": STEPS}
    ),
    ("GET", f"{V1}/workflows"): lambda api, t: Request(f"{V1}/workflows"),
    ("GET", f"{V1}/workflows/{{workflow_id}}"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}"
    ),
    ("PATCH", f"{V1}/workflows/{{workflow_id}}"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}", json={"name": _named()}
    ),
    ("GET", f"{V1}/workflows/{{workflow_id}}/versions"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}/versions"
    ),
    ("GET", f"{V1}/workflows/{{workflow_id}}/versions/{{version}}"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}/versions/1"
    ),
    ("POST", f"{V1}/workflows/{{workflow_id}}/rollback"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}/rollback", json={"version": 1}
    ),
    ("DELETE", f"{V1}/workflows/{{workflow_id}}"): lambda api, t: Request(
        f"{V1}/workflows/{_workflow(api, t)}"
    ),
    ("GET", f"{V1}/runs"): lambda api, t: Request(f"{V1}/runs"),
    ("GET", f"{V1}/runs/{{run_id}}"): lambda api, t: Request(f"{V1}/runs/{_run(api, t)}"),
    ("POST", f"{V1}/alert-channels"): lambda api, t: Request(
        f"{V1}/alert-channels", json=_channel_body()
    ),
    ("PUT", f"{V1}/alert-channels/by-name/{{name}}"): lambda api, t: Request(
        f"{V1}/alert-channels/by-name/{_named()}", json=_channel_body() | {"name": None}
    ),
    ("GET", f"{V1}/alert-channels"): lambda api, t: Request(f"{V1}/alert-channels"),
    ("GET", f"{V1}/alert-channels/{{channel_id}}"): lambda api, t: Request(
        f"{V1}/alert-channels/{_channel(api, t)}"
    ),
    ("PATCH", f"{V1}/alert-channels/{{channel_id}}"): lambda api, t: Request(
        f"{V1}/alert-channels/{_channel(api, t)}", json={"enabled": False}
    ),
    ("DELETE", f"{V1}/alert-channels/{{channel_id}}"): lambda api, t: Request(
        f"{V1}/alert-channels/{_channel(api, t)}"
    ),
    ("POST", f"{V1}/alert-channels/{{channel_id}}/test"): lambda api, t: Request(
        f"{V1}/alert-channels/{_channel(api, t)}/test"
    ),
    ("POST", f"{V1}/api-keys"): lambda api, t: Request(
        f"{V1}/api-keys", json={"name": "k", "role": "viewer"}
    ),
    ("GET", f"{V1}/api-keys"): lambda api, t: Request(f"{V1}/api-keys"),
    ("DELETE", f"{V1}/api-keys/{{key_id}}"): lambda api, t: Request(
        f"{V1}/api-keys/{_key(api, t)}"
    ),
    ("GET", f"{V1}/organization"): lambda api, t: Request(f"{V1}/organization"),
    ("GET", f"{V1}/organization/quotas"): lambda api, t: Request(f"{V1}/organization/quotas"),
    ("GET", f"{V1}/templates"): lambda api, t: Request(f"{V1}/templates"),
    ("POST", f"{V1}/templates"): lambda api, t: Request(f"{V1}/templates", json=TEMPLATE),
    ("GET", f"{V1}/templates/{{name}}"): lambda api, t: Request(
        f"{V1}/templates/{_template(api, t)}"
    ),
    ("DELETE", f"{V1}/templates/{{name}}"): lambda api, t: Request(
        f"{V1}/templates/{_template(api, t)}"
    ),
    ("POST", f"{V1}/templates/{{name}}/instantiate"): lambda api, t: Request(
        f"{V1}/templates/{_template(api, t)}/instantiate",
        json={"schedule_name": f"from-template-{next(_unique)}", "parameters": {}},
    ),
    ("GET", f"{V1}/templates/{{name}}/schedules"): lambda api, t: Request(
        f"{V1}/templates/{_template(api, t)}/schedules"
    ),
    ("PUT", f"{V1}/templates/{{name}}/schedules/{{schedule_id}}"): lambda api, t: Request(
        f"{V1}/templates/{_template(api, t)}/schedules/{_schedule(api, t)}",
        json={"parameters": {}},
    ),
}

# Where the route's success is not what an allowed caller gets.
SUCCESS_OVERRIDES: dict[tuple[str, str], int] = {
    # Each request names something new: created.
    ("PUT", f"{V1}/schedules/by-name/{{name}}"): 201,
    ("PUT", f"{V1}/workflows/by-name/{{name}}"): 201,
    ("PUT", f"{V1}/alert-channels/by-name/{{name}}"): 201,
}
RIVAL_OVERRIDES = {
    # The body names the first organization's workflow, which the rival cannot use.
    ("POST", f"{V1}/schedules"): 422,
    ("PUT", f"{V1}/schedules/by-name/{{name}}"): 422,
}

ROUTES = [
    (method, route) for route in api_app.route_table() for method in sorted(route.methods or ())
]


def test_every_route_has_a_request_in_the_matrix() -> None:
    served = {(method, route.path) for method, route in ROUTES}
    assert served - set(REQUESTS) == set(), "add these routes to the access matrix"
    assert set(REQUESTS) - served == set(), "these routes no longer exist"


def expected_status(method: str, route: Any, caller: str) -> int:
    key = (method, route.path)
    success = SUCCESS_OVERRIDES.get(key, route.status_code or 200)
    role = required_role(route)
    if role is None:
        return int(success)
    if caller in ("anonymous", "revoked"):
        return 401
    if caller == "rival":
        by_id = "{" in route.path and "/by-name/" not in route.path  # a name is the caller's
        return 404 if by_id else RIVAL_OVERRIDES.get(key, int(success))
    return int(success) if RANK[domain.Role(caller)] >= RANK[role] else 403


@pytest.mark.parametrize(
    ("method", "route"), ROUTES, ids=[f"{method} {route.path}" for method, route in ROUTES]
)
def test_access(api: Api, method: str, route: Any) -> None:
    acme, rival = api.tenant(), api.tenant()
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    for caller in CALLERS:
        request = REQUESTS[(method, route.path)](api, acme)
        client = rival.admin if caller == "rival" else acme.as_(caller)
        response = client.request(
            method, request.url, json=request.json, headers=request.headers or {}
        )
        got[caller] = response.status_code
        want[caller] = expected_status(method, route, caller)
    assert got == want
