"""Creating and editing schedules in a form, with a preview of the next fires before saving.

An edit carries the version it was read at and saves with it as the expected version (the
API's ``If-Match``): when someone else saved in between, the form says so and keeps what was
typed instead of overwriting their change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.service.preview import Preview
from cronwright.service.schedules import coerce_policies
from cronwright.web import run_list, schedule_form, session
from cronwright.web.pages import Dashboard, DashboardDep, FormDep, KeyDep, author, require
from cronwright.web.params import PathId

router = APIRouter()
NEW_DEFAULTS = {"cron": "0 * * * *"}


def _form_page(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    *,
    values: dict[str, str],
    schedule: domain.Schedule | None,
    status_code: int = 200,
    form_errors: dict[str, str] | None = None,
    preview: Preview | None = None,
    conflict: domain.Schedule | None = None,
    read_at: int | None = None,
) -> Response:
    workflows = dashboard.service.workflows.list(key.org_id, limit=domain.MAX_PAGE_SIZE).items
    context: dict[str, Any] = {
        "values": values,
        "schedule": schedule,
        "form_errors": form_errors or {},
        "preview": preview,
        "conflict": conflict,
        "read_at": read_at,
        "workflows": workflows,
        "policies": schedule_form.POLICIES,
        "zones": schedule_form.zones(),
    }
    return dashboard.page(request, "schedule_form.html", key, status_code, **context)


def _preview(
    dashboard: Dashboard, fields: dict[str, Any], hash_key: str | None
) -> tuple[Preview | None, dict[str, str]]:
    try:
        coerced = coerce_policies({k: v for k, v in fields.items() if k in schedule_form.POLICIES})
        preview = dashboard.service.schedules.preview_expression(
            str(fields.get("cron", "")),
            timezone=str(fields.get("timezone", "")),
            dst_gap=coerced.get("dst_gap", domain.DstGapPolicy.AUTO),
            dst_fold=coerced.get("dst_fold", domain.DstFoldPolicy.AUTO),
            hash_key=hash_key,
        )
    except errors.InvalidInput as exc:
        return None, {exc.field: exc.message}
    return preview, {}


@router.get("/schedules/preview", response_class=HTMLResponse)
def preview_fragment(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    cron: str = "",
    timezone: str = "UTC",
    dst_gap: str = "auto",
    dst_fold: str = "auto",
) -> Response:
    """The preview panel alone, for the form's script to swap in as the user types."""
    fields = {"cron": cron, "timezone": timezone.strip(), "dst_gap": dst_gap, "dst_fold": dst_fold}
    preview, problems = _preview(dashboard, fields, None)
    return dashboard.page(request, "preview_panel.html", key, preview=preview, form_errors=problems)


@router.get("/schedules/new", response_class=HTMLResponse)
def new_form(
    request: Request, dashboard: DashboardDep, key: KeyDep, workflow: str = ""
) -> Response:
    require(key, domain.Role.EDITOR)
    defaults = dashboard.service.schedules.new_spec(
        workflow_id=domain.WorkflowId(0), name="", cron=NEW_DEFAULTS["cron"]
    )
    values = {**schedule_form.values_of(defaults), "workflow_id": workflow, "name": ""}
    return _form_page(request, dashboard, key, values=values, schedule=None)


@router.post("/schedules/new", response_class=HTMLResponse)
def create(request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    parsed = schedule_form.parse(form)
    values = {name: form.get(name, "") for name in form if name != "csrf"}
    preview, preview_errors = _preview(dashboard, parsed.fields, None)
    problems = {**preview_errors, **parsed.errors}
    if form.get("op") == "preview" or problems:
        status = 400 if problems and form.get("op") != "preview" else 200
        return _form_page(
            request,
            dashboard,
            key,
            values=values,
            schedule=None,
            status_code=status,
            form_errors=problems,
            preview=preview,
        )
    svc = dashboard.service.schedules
    try:
        fields = {**parsed.fields, "paused": form.get("paused") == "1"}
        spec = svc.new_spec(**coerce_policies(fields))
        created = svc.create(key.org_id, spec, author=author(key))
    except errors.InvalidInput as exc:
        return _form_page(
            request,
            dashboard,
            key,
            values=values,
            schedule=None,
            status_code=400,
            form_errors={exc.field: exc.message},
            preview=preview,
        )
    return RedirectResponse(f"{session.base_path(request)}/schedules/{created.id}", status_code=303)


@router.get("/schedules/{schedule_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, dashboard: DashboardDep, key: KeyDep, schedule_id: PathId
) -> Response:
    require(key, domain.Role.EDITOR)
    found = dashboard.service.schedules.get(key.org_id, domain.ScheduleId(schedule_id))
    values = {**schedule_form.values_of(found.spec), "version": str(found.version)}
    preview = dashboard.service.schedules.preview(key.org_id, found.id, count=10)
    return _form_page(request, dashboard, key, values=values, schedule=found, preview=preview)


@router.post("/schedules/{schedule_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep, schedule_id: PathId
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    svc = dashboard.service.schedules
    found = svc.get(key.org_id, domain.ScheduleId(schedule_id))
    parsed = schedule_form.parse(form)
    values = {name: form.get(name, "") for name in form if name != "csrf"}
    preview, preview_errors = _preview(dashboard, parsed.fields, found.hash_key)
    problems = {**preview_errors, **parsed.errors}
    read_at = run_list.parse_id(form.get("version", ""), "version")

    def again(status: int, found_errors: dict[str, str], **extra: Any) -> Response:
        return _form_page(
            request,
            dashboard,
            key,
            values=values,
            schedule=found,
            status_code=status,
            form_errors=found_errors,
            preview=preview,
            **extra,
        )

    if form.get("op") == "preview" or problems:
        return again(400 if problems and form.get("op") != "preview" else 200, problems)
    try:
        svc.update(
            key.org_id,
            found.id,
            parsed.fields,
            author=author(key),
            expected_version=read_at,
        )
    except errors.StaleVersion:
        # Someone saved since this form was read: show theirs, keep ours, overwrite nothing.
        theirs = svc.get(key.org_id, found.id)
        values["version"] = str(theirs.version)  # saving again now means: replace theirs
        return again(409, {}, conflict=theirs, read_at=read_at)
    except errors.InvalidInput as exc:
        return again(400, {exc.field: exc.message})
    return RedirectResponse(f"{session.base_path(request)}/schedules/{found.id}", status_code=303)
