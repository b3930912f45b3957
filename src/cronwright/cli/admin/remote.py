"""The admin contract through a server's API: each call is one or two requests of the client.

The organization is the API key's. Errors are the client's (``cronwright.client.ApiError`` with
the server's message, ``httpx.HTTPError``); ``cli/admin/target.py`` turns them into one line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from cronwright import client, clock, domain, errors, templates
from cronwright.cli.admin import from_api
from cronwright.cli.admin.contract import Made, template_checks
from cronwright.domain import template_records
from cronwright.service import preview, triggers
from cronwright.service import templates as service_templates
from cronwright.service import workflows as service_workflows

T = TypeVar("T")

# The classes below have a method named ``templates``, which hides the module there.
Rendered = templates.Rendered


def _page(items: Iterable[T], next_cursor: str | None) -> domain.Page[T]:
    return domain.Page(items=tuple(items), next_cursor=next_cursor)


def _values(states: Iterable[Any] | None) -> list[str] | None:
    return None if states is None else sorted(str(state.value) for state in states)


class RemoteAdmin:
    def __init__(
        self, api: client.Client, organization: domain.Organization, *, clock: clock.Clock
    ) -> None:
        """``clock``: this host's, for what is checked here rather than on the server."""
        self._api = api
        self._organization = organization
        self._org_id = organization.id
        self._clock = clock

    @property
    def organization(self) -> domain.Organization:
        return self._organization

    # -- schedules ---------------------------------------------------------------------------------

    def schedules(
        self, where: domain.ScheduleFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Schedule]:
        page = self._api.schedules.list(
            cursor=cursor,
            limit=limit,
            workflow_id=where.workflow_id,
            paused=where.paused,
            name_contains=where.name_contains,
        )
        return _page((from_api.schedule(s, self._org_id) for s in page.items), page.next_cursor)

    def schedule(self, schedule_id: domain.ScheduleId) -> domain.Schedule:
        return from_api.schedule(self._api.schedules.get(schedule_id), self._org_id)

    def workflow_name(self, workflow_id: domain.WorkflowId) -> str | None:
        try:
            return self._api.workflows.get(workflow_id).name
        except client.NotFound:
            return None

    def preview(self, schedule_id: domain.ScheduleId, *, count: int) -> preview.Preview:
        return from_api.preview(self._api.schedules.next(schedule_id, count=count))

    def events(self, schedule_id: domain.ScheduleId) -> list[domain.ScheduleEvent]:
        return [from_api.event(e, schedule_id) for e in self._api.schedules.events(schedule_id)]

    def pause(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        return from_api.schedule(self._api.schedules.pause(schedule_id), self._org_id)

    def resume(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        return from_api.schedule(self._api.schedules.resume(schedule_id), self._org_id)

    def trigger(
        self, schedule_id: domain.ScheduleId, extra_input: Mapping[str, domain.JsonValue]
    ) -> domain.Run:
        run = self._api.schedules.trigger(schedule_id, input=dict(extra_input) or None)
        return from_api.run(run, self._org_id)

    def backfill(
        self, schedule_id: domain.ScheduleId, *, since: datetime, until: datetime, dry_run: bool
    ) -> triggers.Backfill:
        done = self._api.schedules.backfill(schedule_id, since=since, until=until, dry_run=dry_run)
        return from_api.backfill(done)

    # -- runs --------------------------------------------------------------------------------------

    def runs(
        self, where: domain.RunFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Run]:
        if where.workflow_id is not None:  # no command asks for it; the API cannot filter so
            raise errors.InvalidInput(field="workflow_id", message="not a filter of the API")
        page = self._api.runs.list(
            cursor=cursor,
            limit=limit,
            schedule_id=where.schedule_id,
            state=_values(where.states),
            trigger=_values(where.triggers),
            since=where.since,
            until=where.until,
        )
        return _page((from_api.run(r, self._org_id) for r in page.items), page.next_cursor)

    def run(self, run_id: domain.RunId) -> tuple[domain.Run, list[domain.RunStep]]:
        detail = self._api.runs.get(run_id)
        found = from_api.run(detail, self._org_id)
        return found, [from_api.step(s, found.id) for s in detail.steps]

    def retry(self, run_id: domain.RunId) -> domain.Run:
        return from_api.run(self._api.runs.retry(run_id), self._org_id)

    def cancel(self, run_id: domain.RunId, *, author: str) -> domain.Run:
        return from_api.run(self._api.runs.cancel(run_id), self._org_id)

    # -- API keys ----------------------------------------------------------------------------------

    def api_keys(self) -> list[domain.ApiKey]:
        return [from_api.api_key(key, self._org_id) for key in self._api.api_keys.list()]

    def issue_api_key(self, *, name: str, role: domain.Role) -> domain.IssuedApiKey:
        issued = self._api.api_keys.create(name=name, role=role.value)
        return domain.IssuedApiKey(key=from_api.api_key(issued, self._org_id), token=issued.token)

    def revoke_api_key(self, key_id: domain.ApiKeyId) -> domain.ApiKey:
        self._api.api_keys.revoke(key_id)  # 204: the key as it is now is read back
        return next(key for key in self.api_keys() if key.id == key_id)

    # -- templates ---------------------------------------------------------------------------------

    def templates(self) -> list[service_templates.CatalogEntry]:
        # The list holds summaries; a whole template is one more request each (a few dozen).
        return [
            self.template(summary.name, version=summary.version)
            for summary in self._api.templates.list().items
        ]

    def template(self, name: str, *, version: int | None) -> service_templates.CatalogEntry:
        return from_api.catalog_entry(self._api.templates.get(name, version=version))

    def made_from(self, name: str) -> list[template_records.ScheduleOrigin]:
        return [from_api.origin(o) for o in self._api.templates.schedules(name).items]

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
        options: dict[str, Any] = {"parameters": dict(parameters), "paused": paused}
        if workflow_name is not None:
            options["workflow_name"] = workflow_name
        if version is not None:
            options["version"] = version
        made = self._api.templates.instantiate(name, schedule_name=schedule_name, **options)
        workflow_id = domain.WorkflowId(made.workflow_id)
        return Made(
            schedule=self.schedule(domain.ScheduleId(made.schedule_id)),
            workflow_id=workflow_id,
            workflow_name=self.workflow_name(workflow_id) or f"#{workflow_id}",
            origin=from_api.origin(made),
        )

    def render_template(
        self, name: str, *, parameters: Mapping[str, object], version: int | None
    ) -> Rendered:
        # The API has no preview; the template is rendered and checked here, by the code the
        # server runs (with the checks the database's ``use --dry-run`` makes).
        rendered, _ = service_templates.rendered_and_checked(
            self.template(name, version=version).template,
            parameters,
            parse_definition=functools.partial(
                service_workflows.parse, check_config=template_checks()
            ),
            retry_defaults=domain.RetryDefaults(),
            now=self._clock.now(),
            schedule_name="preview",
        )
        return rendered

    def save_template(self, document: object, *, author: str) -> service_templates.CatalogEntry:
        if not isinstance(document, Mapping):
            raise errors.InvalidInput(field="template", message="must be a mapping")
        # The version is always the next one, as on the database.
        fields = {str(key): value for key, value in document.items() if key != "version"}
        return from_api.catalog_entry(self._api.templates.save(**fields))
