"""Admin pages: the organization's quotas (read only), its API keys (a new key's secret is
shown once, on the page that answers its creation; revoke) and its alert channels (create,
test-send, the delivery log). Every page and form here needs an admin key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.domain import alert_channel
from cronwright.web import session
from cronwright.web.pages import Dashboard, DashboardDep, FormDep, KeyDep, require
from cronwright.web.params import PathId

router = APIRouter()
DELIVERIES_SHOWN = 50


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{session.base_path(request)}{path}", status_code=303)


def _admin_page(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    organizations = dashboard.service.organizations
    channels = (
        dashboard.alerts.channels.list(key.org_id, limit=domain.MAX_PAGE_SIZE).items
        if dashboard.alerts is not None
        else None
    )
    defaults: dict[str, Any] = {
        "keys": organizations.list_api_keys(key.org_id),
        "channels": channels,
        "roles": [role.value for role in domain.Role],
        "kinds": [kind.value for kind in domain.AlertChannelKind],
        "events": sorted(alert_channel.ALERT_EVENTS),
        "issued": None,
        "form_errors": {},
        "values": {},
    }
    return dashboard.page(request, "admin.html", key, status_code, **{**defaults, **context})


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, dashboard: DashboardDep, key: KeyDep) -> Response:
    require(key, domain.Role.ADMIN)
    return _admin_page(request, dashboard, key)


@router.post("/admin/keys", response_class=HTMLResponse)
def create_key(request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.ADMIN)
    values = {"key.name": form.get("name", ""), "key.role": form.get("role", "")}
    try:
        role = domain.Role(form.get("role", ""))
    except ValueError:
        allowed = ", ".join(r.value for r in domain.Role)
        problems = {"key.role": f"must be one of {allowed}"}
        return _admin_page(
            request, dashboard, key, status_code=400, form_errors=problems, values=values
        )
    try:
        issued = dashboard.service.organizations.issue_api_key(
            key.org_id, name=form.get("name", ""), role=role
        )
    except errors.InvalidInput as exc:
        problems = {f"key.{exc.field}": exc.message}
        return _admin_page(
            request, dashboard, key, status_code=400, form_errors=problems, values=values
        )
    # The one and only time the secret is shown: the page answering this POST (no-store).
    return _admin_page(request, dashboard, key, status_code=201, issued=issued)


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep, key_id: PathId
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.ADMIN)
    dashboard.service.organizations.revoke_api_key(key.org_id, domain.ApiKeyId(key_id))
    return _redirect(request, "/admin")


def _alerts(dashboard: Dashboard) -> Any:
    if dashboard.alerts is None:
        raise errors.InvalidInput(field="alerts", message="alerting is not set up on this server")
    return dashboard.alerts


@router.post("/admin/channels", response_class=HTMLResponse)
def create_channel(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.ADMIN)
    alerts = _alerts(dashboard)
    events = [name for name in sorted(alert_channel.ALERT_EVENTS) if form.get(f"event.{name}")]
    values = {f"channel.{name}": form.get(name, "") for name in ("name", "kind", "target")}
    values.update({f"channel.event.{name}": "1" for name in events})
    try:
        try:
            kind = domain.AlertChannelKind(form.get("kind", ""))
        except ValueError:
            raise errors.InvalidInput(field="kind", message="choose webhook or email") from None
        channel = alerts.channels.create(
            key.org_id,
            name=form.get("name", ""),
            kind=kind,
            target=form.get("target", ""),
            events=events,
            secret=form.get("secret") or None,
        )
    except errors.InvalidInput as exc:
        problems = {f"channel.{exc.field}": exc.message}
        return _admin_page(
            request, dashboard, key, status_code=400, form_errors=problems, values=values
        )
    return _redirect(request, f"/admin/channels/{channel.id}")


@router.get("/admin/channels/{channel_id}", response_class=HTMLResponse)
def channel(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    channel_id: PathId,
    tested: str = "",
) -> Response:
    require(key, domain.Role.ADMIN)
    alerts = _alerts(dashboard)
    cid = alert_channel.AlertChannelId(channel_id)
    found = alerts.channels.get(key.org_id, cid)
    deliveries = alerts.alerter.store.deliveries(key.org_id, channel_id=cid)
    return dashboard.page(
        request,
        "channel.html",
        key,
        channel=found,
        deliveries=list(reversed(deliveries))[:DELIVERIES_SHOWN],
        tested=tested,
    )


@router.post("/admin/channels/{channel_id}/test")
def test_channel(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep, channel_id: PathId
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.ADMIN)
    alerts = _alerts(dashboard)
    cid = alert_channel.AlertChannelId(channel_id)
    alerts.channels.get(key.org_id, cid)  # 404 for another organization's channel
    outcome = alerts.alerter.send_test(key.org_id, cid)
    verdict = "delivered" if outcome.delivered else "failed"
    return _redirect(request, f"/admin/channels/{channel_id}?tested={verdict}")
