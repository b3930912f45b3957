"""Schedules: the list, one schedule's page (history strip, durations, settings, next fires,
versions, audit trail) and its forms: pause, resume, run now with input, backfill (a dry run
first), version diff and rollback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.web import charts, diff, history, run_list, session, views
from cronwright.web.forms import json_object
from cronwright.web.pages import (
    SCHEDULES_PER_PAGE,
    Dashboard,
    DashboardDep,
    FormDep,
    KeyDep,
    author,
    require,
)
from cronwright.web.params import PathId

router = APIRouter()
EVENTS_SHOWN = 50


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{session.base_path(request)}{path}", status_code=303)


@router.get("/schedules", response_class=HTMLResponse)
def schedules(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    name: str = "",
    cursor: str | None = None,
) -> Response:
    where = domain.ScheduleFilter(name_contains=name.strip() or None)
    page = dashboard.service.schedules.list(
        key.org_id, where, cursor=cursor, limit=SCHEDULES_PER_PAGE
    )
    rows = [views.schedule_row(schedule) for schedule in page.items]
    return dashboard.page(
        request, "schedules.html", key, rows=rows, search=name, next_cursor=page.next_cursor
    )


def schedule_page(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    schedule_id: PathId,
    *,
    status_code: int = 200,
    form_errors: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
) -> Response:
    svc, sid = dashboard.service, domain.ScheduleId(schedule_id)
    found = svc.schedules.get(key.org_id, sid)
    slots = svc.runs.list_for_schedule(
        key.org_id,
        sid,
        domain.RunFilter(triggers=history.SLOT_TRIGGERS),
        limit=history.STRIP_SLOTS,
    ).items
    recent = svc.runs.list_for_schedule(key.org_id, sid, limit=20).items
    events = svc.schedules.events(key.org_id, sid)
    names = run_list.Names(svc, key.org_id)
    versions = list(reversed(svc.schedules.versions(key.org_id, sid)))
    catalog = dashboard.catalog
    origin = None if catalog is None else catalog.origin(key.org_id, sid)
    return dashboard.page(
        request,
        "schedule.html",
        key,
        status_code,
        row=views.schedule_row(found),
        workflow_name=names.workflow(found.spec.workflow_id),
        settings=views.settings(found.spec),
        strip=history.strip(list(slots)),
        legend=history.legend(),
        durations=charts.durations(slots),
        preview=svc.schedules.preview(key.org_id, sid, count=10),
        runs=run_list.rows(names, recent),
        versions=versions,
        origin=origin,
        events=list(reversed(events))[:EVENTS_SHOWN],
        can_trigger=dashboard.triggers is not None,
        can_retry=dashboard.triggers is not None,
        can_cancel=dashboard.queue is not None,
        form_errors=form_errors or {},
        form_values=form_values or {},
        now=dashboard.clock.now(),
    )


@router.get("/schedules/{schedule_id}", response_class=HTMLResponse)
def schedule(
    request: Request, dashboard: DashboardDep, key: KeyDep, schedule_id: PathId
) -> Response:
    return schedule_page(request, dashboard, key, schedule_id)


@router.get("/schedules/{schedule_id}/diff", response_class=HTMLResponse)
def compare(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    schedule_id: PathId,
    old: int,
    new: int,
) -> Response:
    """Two versions side by side, every field, the changed ones marked."""
    svc, sid = dashboard.service, domain.ScheduleId(schedule_id)
    found = svc.schedules.get(key.org_id, sid)
    before = svc.schedules.version(key.org_id, sid, old)
    after = svc.schedules.version(key.org_id, sid, new)
    fields = diff.pairs(diff.schedule_fields(before), diff.schedule_fields(after))
    return dashboard.page(
        request,
        "diff.html",
        key,
        schedule=found,
        before=before,
        after=after,
        fields=fields,
        changed=len(diff.changed(fields)),
    )


@router.post("/schedules/{schedule_id}/{action}")
def act(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    form: FormDep,
    schedule_id: PathId,
    action: str,
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    sid, by = domain.ScheduleId(schedule_id), author(key)
    schedules = dashboard.service.schedules
    here = f"/schedules/{schedule_id}"
    if action == "pause":
        schedules.pause(key.org_id, sid, author=by)
    elif action == "resume":
        schedules.resume(key.org_id, sid, author=by)
    elif action == "rollback":
        version = run_list.parse_id(form.get("version", ""), "version")
        if version is None:
            raise errors.InvalidInput(field="version", message="is required")
        schedules.rollback(key.org_id, sid, version, author=by)
    elif action == "trigger" and dashboard.triggers is not None:
        return _trigger(request, dashboard, key, schedule_id, form)
    elif action == "backfill" and dashboard.triggers is not None:
        return _backfill(request, dashboard, key, schedule_id, form)
    else:
        raise errors.ScheduleNotFound(sid)  # an unknown action is no page at all
    return _redirect(request, here)


def _trigger(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    schedule_id: PathId,
    form: dict[str, str],
) -> Response:
    assert dashboard.triggers is not None
    try:
        extra = json_object(form.get("input", ""), "input")
        run = dashboard.triggers.trigger_now(key.org_id, domain.ScheduleId(schedule_id), extra)
    except errors.InvalidInput as exc:
        return schedule_page(
            request,
            dashboard,
            key,
            schedule_id,
            status_code=400,
            form_errors={f"trigger.{exc.field}": exc.message},
            form_values={"trigger.input": form.get("input", "")},
        )
    return _redirect(request, f"/runs/{run.id}")


def _backfill(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    schedule_id: PathId,
    form: dict[str, str],
) -> Response:
    assert dashboard.triggers is not None
    values = {f"backfill.{name}": form.get(name, "") for name in ("since", "until")}
    dry_run = form.get("dry_run") == "1"
    try:
        query = run_list.RunQuery(since=form.get("since", ""), until=form.get("until", ""))
        bounds = query.to_filter()
        if bounds.since is None or bounds.until is None:
            missing = "since" if bounds.since is None else "until"
            raise errors.InvalidInput(field=missing, message="is required")
        outcome = dashboard.triggers.backfill(
            key.org_id,
            domain.ScheduleId(schedule_id),
            since=bounds.since,
            until=bounds.until,
            dry_run=dry_run,
        )
    except errors.InvalidInput as exc:
        return schedule_page(
            request,
            dashboard,
            key,
            schedule_id,
            status_code=400,
            form_errors={f"backfill.{exc.field}": exc.message},
            form_values=values,
        )
    found = dashboard.service.schedules.get(key.org_id, domain.ScheduleId(schedule_id))
    context: dict[str, Any] = {
        "schedule": found,
        "outcome": outcome,
        "since": form.get("since", ""),
        "until": form.get("until", ""),
        "would_create": sum(1 for s in outcome.slots if s.outcome.value == "would_create"),
        "created": sum(1 for s in outcome.slots if s.outcome.value == "created"),
    }
    return dashboard.page(request, "backfill.html", key, **context)
