"""The admin contract on the database: the service layer, as the operator (shell steps allowed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cronwright import domain, errors, service, templates
from cronwright.cli.admin.common import Context
from cronwright.cli.admin.contract import Made, template_checks
from cronwright.domain import template_records
from cronwright.service import preview, triggers
from cronwright.service import templates as service_templates

# Without --org only the shipped templates exist; id 0 is no organization's.
NO_ORGANIZATION = domain.OrganizationId(0)

# The classes below have a method named ``templates``, which hides the module there.
Rendered = templates.Rendered


def catalog(ctx: Context) -> service_templates.Templates:
    # Step configs are checked as the API checks them (the CLI is the operator's: shell is on).
    workflows = service.Workflows(ctx.store, ctx.clock, check_config=template_checks())
    return service_templates.Templates(
        workflows,
        ctx.service.schedules,
        ctx.root.template_store(),
        ctx.clock,
    )


class DatabaseAdmin:
    def __init__(self, ctx: Context, organization: domain.Organization | None) -> None:
        self._ctx = ctx
        self._organization = organization
        self._org_id = NO_ORGANIZATION if organization is None else organization.id
        self._service = ctx.service

    @property
    def organization(self) -> domain.Organization | None:
        return self._organization

    # -- schedules ---------------------------------------------------------------------------------

    def schedules(
        self, where: domain.ScheduleFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Schedule]:
        return self._service.schedules.list(self._org_id, where, cursor=cursor, limit=limit)

    def schedule(self, schedule_id: domain.ScheduleId) -> domain.Schedule:
        return self._service.schedules.get(self._org_id, schedule_id)

    def workflow_name(self, workflow_id: domain.WorkflowId) -> str | None:
        try:
            return self._service.workflows.get(self._org_id, workflow_id).name
        except errors.WorkflowNotFound:
            return None

    def preview(self, schedule_id: domain.ScheduleId, *, count: int) -> preview.Preview:
        return self._service.schedules.preview(self._org_id, schedule_id, count=count)

    def events(self, schedule_id: domain.ScheduleId) -> list[domain.ScheduleEvent]:
        return list(self._service.schedules.events(self._org_id, schedule_id))

    def pause(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        return self._service.schedules.pause(self._org_id, schedule_id, author=author)

    def resume(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        return self._service.schedules.resume(self._org_id, schedule_id, author=author)

    def trigger(
        self, schedule_id: domain.ScheduleId, extra_input: Mapping[str, domain.JsonValue]
    ) -> domain.Run:
        return self._ctx.triggers.trigger_now(self._org_id, schedule_id, dict(extra_input))

    def backfill(
        self, schedule_id: domain.ScheduleId, *, since: datetime, until: datetime, dry_run: bool
    ) -> triggers.Backfill:
        return self._ctx.triggers.backfill(
            self._org_id, schedule_id, since=since, until=until, dry_run=dry_run
        )

    # -- runs --------------------------------------------------------------------------------------

    def runs(
        self, where: domain.RunFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Run]:
        return self._service.runs.list(self._org_id, where, cursor=cursor, limit=limit)

    def run(self, run_id: domain.RunId) -> tuple[domain.Run, list[domain.RunStep]]:
        found = self._service.runs.get(self._org_id, run_id)
        return found, self._service.runs.steps(self._org_id, found.id)

    def retry(self, run_id: domain.RunId) -> domain.Run:
        return self._ctx.triggers.retry_run(self._org_id, run_id)

    def cancel(self, run_id: domain.RunId, *, author: str) -> domain.Run:
        return self._ctx.root.run_queue().cancel(
            self._org_id, run_id, now=self._ctx.clock.now(), reason=f"cancelled by {author}"
        )

    # -- API keys ----------------------------------------------------------------------------------

    def api_keys(self) -> list[domain.ApiKey]:
        return list(self._service.organizations.list_api_keys(self._org_id))

    def issue_api_key(self, *, name: str, role: domain.Role) -> domain.IssuedApiKey:
        return self._service.organizations.issue_api_key(self._org_id, name=name, role=role)

    def revoke_api_key(self, key_id: domain.ApiKeyId) -> domain.ApiKey:
        return self._service.organizations.revoke_api_key(self._org_id, key_id)

    # -- templates ---------------------------------------------------------------------------------

    def templates(self) -> list[service_templates.CatalogEntry]:
        return catalog(self._ctx).list(self._org_id)

    def template(self, name: str, *, version: int | None) -> service_templates.CatalogEntry:
        return catalog(self._ctx).get(self._org_id, name, version=version)

    def made_from(self, name: str) -> list[template_records.ScheduleOrigin]:
        return catalog(self._ctx).made_from(self._org_id, name)

    def instantiate(
        self,
        name: str,
        *,
        schedule_name: str,
        workflow_name: str | None,
        parameters: Mapping[str, object],
        version: int | None,
        paused: bool,
        author: str,
    ) -> Made:
        made = catalog(self._ctx).instantiate(
            self._org_id,
            name,
            schedule_name=schedule_name,
            workflow_name=workflow_name,
            parameters=parameters,
            version=version,
            paused=paused,
            author=author,
        )
        return Made(
            schedule=made.schedule,
            workflow_id=made.workflow.id,
            workflow_name=made.workflow.name,
            origin=made.origin,
        )

    def save_template(self, document: object, *, author: str) -> service_templates.CatalogEntry:
        return catalog(self._ctx).save(self._org_id, document, author=author)

    def render_template(
        self, name: str, *, parameters: Mapping[str, object], version: int | None
    ) -> Rendered:
        return catalog(self._ctx).preview(
            self._org_id, name, parameters=parameters, version=version
        )
