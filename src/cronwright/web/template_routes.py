"""The templates library: shipped templates and the organization's own, one template's page
(its description, typed parameters, what it makes, the schedules made from it), and the form
that makes a workflow and a schedule from it for editors, landing on the new schedule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cronwright import domain, errors
from cronwright.service import templates as service_templates
from cronwright.web import masking, schedule_form, session, template_form
from cronwright.web.pages import Dashboard, DashboardDep, FormDep, KeyDep, author, require

router = APIRouter()
# As the API spells template names; anything else names no page.
NamePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _catalog(dashboard: Dashboard) -> service_templates.Templates:
    if dashboard.catalog is None:  # a dashboard mounted without the library
        raise errors.NotFound("templates")
    return dashboard.catalog


@router.get("/templates", response_class=HTMLResponse)
def library(request: Request, dashboard: DashboardDep, key: KeyDep) -> Response:
    entries = _catalog(dashboard).list(key.org_id)
    return dashboard.page(request, "templates.html", key, entries=entries)


def template_page(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    name: str,
    *,
    version: int | None = None,
    values: Mapping[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    catalog = _catalog(dashboard)
    entry = catalog.get(key.org_id, name, version=version)
    template = entry.template
    origins = catalog.made_from(key.org_id, template.name)[-domain.MAX_PAGE_SIZE :]
    made = dashboard.service.schedules.get_many(key.org_id, [o.schedule_id for o in origins])
    typed = dict(values) if values is not None else template_form.defaults(template)
    return dashboard.page(
        request,
        "template.html",
        key,
        status_code,
        entry=entry,
        template=template,
        workflow=masking.masked(template.workflow),
        made=[(o, made[o.schedule_id]) for o in reversed(origins) if o.schedule_id in made],
        fields=template_form.fields(template, typed),
        values=typed,
        form_errors=form_errors or {},
        zones=schedule_form.zones(),
    )


@router.get("/templates/{name}", response_class=HTMLResponse)
def template(
    request: Request,
    dashboard: DashboardDep,
    key: KeyDep,
    name: NamePath,
    version: VersionQuery = None,
) -> Response:
    return template_page(request, dashboard, key, name, version=version)


@router.post("/templates/{name}/instantiate", response_class=HTMLResponse)
def instantiate(
    request: Request, dashboard: DashboardDep, key: KeyDep, form: FormDep, name: NamePath
) -> Response:
    session.check_csrf(request, form.get("csrf"))
    require(key, domain.Role.EDITOR)
    catalog = _catalog(dashboard)
    version = form.get("version", "").strip()
    entry = catalog.get(key.org_id, name, version=int(version) if version.isdigit() else None)
    template_obj = entry.template
    try:
        made = catalog.instantiate(
            key.org_id,
            name,
            schedule_name=form.get("schedule_name", ""),
            workflow_name=form.get("workflow_name", "").strip() or None,
            parameters=template_form.parameters(template_obj, form),
            version=template_obj.version,
            paused=form.get("paused") == "1",
            author=author(key),
        )
    except errors.InvalidInput as exc:
        field = template_form.field_of(template_obj, exc)
        problem = exc.message if field else str(exc)
        return _refused(request, dashboard, key, entry, form, {field: problem})
    except errors.NameTaken as exc:
        field = template_form.name_taken_field(exc, form)
        return _refused(request, dashboard, key, entry, form, {field: str(exc)})
    except errors.ScheduleConflict as exc:
        return _refused(request, dashboard, key, entry, form, {"schedule_name": str(exc)})
    path = f"{session.base_path(request)}/schedules/{made.schedule.id}"
    return RedirectResponse(path, status_code=303)


def _refused(
    request: Request,
    dashboard: Dashboard,
    key: domain.ApiKey,
    entry: service_templates.CatalogEntry,
    form: Mapping[str, str],
    problems: dict[str, str],
) -> Response:
    return template_page(
        request,
        dashboard,
        key,
        entry.template.name,
        version=entry.template.version if entry.versions else None,
        values={name: value for name, value in form.items() if name != "csrf"},
        form_errors=problems,
        status_code=400,
    )
