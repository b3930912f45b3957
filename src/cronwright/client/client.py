"""``Client``: every operation of the REST API as a typed method.

Requests are built with the API's own request models, so a mistake is caught before anything is
sent, with the same message the server would give; answers are parsed into the API's response
models. Lists come a page at a time (``list``) or as one iterator over every page (``iter``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel
from pydantic_core import to_json

from cronwright.api.schemas import alert_channels as channel_schemas
from cronwright.api.schemas import by_name as by_name_schemas
from cronwright.api.schemas import cron as cron_schemas
from cronwright.api.schemas import organization as org_schemas
from cronwright.api.schemas import runs as run_schemas
from cronwright.api.schemas import schedules as schedule_schemas
from cronwright.api.schemas import templates as template_schemas
from cronwright.api.schemas import workflows as workflow_schemas
from cronwright.client.transport import RetryPolicy, Transport
from cronwright.clock import Clock, SystemClock

API = "/api/v1"
Model = TypeVar("Model", bound=BaseModel)
Item = TypeVar("Item", covariant=True)


# Aliases for annotations inside classes whose ``list`` method hides the built-in.
Strings = list[str]
Versions = list[schedule_schemas.ScheduleVersionOut]
Events = list[schedule_schemas.ScheduleEventOut]
WorkflowVersions = list[workflow_schemas.WorkflowVersionOut]


class Page(Protocol[Item]):
    @property
    def items(self) -> Sequence[Item]: ...

    @property
    def next_cursor(self) -> str | None: ...


def _body(model: type[BaseModel], fields: dict[str, Any]) -> Any:
    """The JSON body of ``fields`` checked by the API's request model (only what was given),
    read as JSON the way the server reads it: datetimes become text first, say."""
    checked = model.model_validate_json(to_json(fields))
    return checked.model_dump(mode="json", exclude_unset=True)


def _if_match(version: int | None) -> dict[str, str]:
    return {} if version is None else {"If-Match": f'"{version}"'}


def _put_conditions(version: int | None, create_only: bool) -> dict[str, str]:
    """The conditions of a write by name: 412 (``PreconditionFailed``) if they do not hold."""
    return {**_if_match(version), **({"If-None-Match": "*"} if create_only else {})}


def _every_page(fetch: Callable[[str | None], Page[Item]]) -> Iterator[Item]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def _run_query(
    state: list[str] | None,
    trigger: list[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    return {
        "state": state,
        "trigger": trigger,
        "since": None if since is None else since.isoformat(),
        "until": None if until is None else until.isoformat(),
    }


class _Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get(self, path: str, model: type[Model], **params: Any) -> Model:
        return model.model_validate(self._transport.request("GET", path, params=params).json())

    def _send(
        self,
        method: str,
        path: str,
        model: type[Model],
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Model:
        response = self._transport.request(method, path, json=body, headers=headers)
        return model.model_validate(response.json())

    def _get_list(self, path: str, model: type[Model]) -> list[Model]:
        return [model.model_validate(item) for item in self._transport.request("GET", path).json()]

    def _delete(self, path: str) -> None:
        self._transport.request("DELETE", path)


class Schedules(_Resource):
    def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        workflow_id: int | None = None,
        paused: bool | None = None,
        name_contains: str | None = None,
    ) -> schedule_schemas.SchedulePage:
        return self._get(
            f"{API}/schedules",
            schedule_schemas.SchedulePage,
            cursor=cursor,
            limit=limit,
            workflow_id=workflow_id,
            paused=None if paused is None else str(paused).lower(),
            name_contains=name_contains,
        )

    def iter(self, **filters: Any) -> Iterator[schedule_schemas.ScheduleOut]:
        return _every_page(lambda cursor: self.list(cursor=cursor, **filters))

    def get(self, schedule_id: int) -> schedule_schemas.ScheduleOut:
        return self._get(f"{API}/schedules/{schedule_id}", schedule_schemas.ScheduleOut)

    def create(self, **fields: Any) -> schedule_schemas.ScheduleOut:
        """``workflow_id``, ``name`` and ``cron``, and any other field of ``ScheduleCreate``."""
        body = _body(schedule_schemas.ScheduleCreate, fields)
        return self._send("POST", f"{API}/schedules", schedule_schemas.ScheduleOut, body)

    def put(
        self, name: str, *, version: int | None = None, create_only: bool = False, **fields: Any
    ) -> schedule_schemas.ScheduleOut:
        """Create the schedule ``name``, or make the existing one exactly ``fields`` (left out:
        the defaults of a new schedule); a new version only when something changed. With
        ``version``: only if it is at that version; ``create_only``: only if it does not exist
        (else ``PreconditionFailed``, nothing written)."""
        body = _body(by_name_schemas.SchedulePut, fields)
        path = f"{API}/schedules/by-name/{quote(name, safe='')}"
        headers = _put_conditions(version, create_only)
        return self._send("PUT", path, schedule_schemas.ScheduleOut, body, headers)

    def update(
        self, schedule_id: int, *, version: int | str, **changes: Any
    ) -> schedule_schemas.ScheduleOut:
        """Change the given fields of version ``version`` (412 if someone changed it since);
        ``version="*"`` overwrites whatever is there."""
        body = _body(schedule_schemas.ScheduleChanges, changes)
        headers = {"If-Match": "*"} if version == "*" else _if_match(int(version))
        path = f"{API}/schedules/{schedule_id}"
        return self._send("PATCH", path, schedule_schemas.ScheduleOut, body, headers)

    def delete(self, schedule_id: int) -> None:
        self._delete(f"{API}/schedules/{schedule_id}")

    def pause(
        self, schedule_id: int, *, version: int | None = None
    ) -> schedule_schemas.ScheduleOut:
        """With ``version``: 412 if the schedule is no longer at that version."""
        path = f"{API}/schedules/{schedule_id}/pause"
        return self._send("POST", path, schedule_schemas.ScheduleOut, None, _if_match(version))

    def resume(
        self, schedule_id: int, *, version: int | None = None
    ) -> schedule_schemas.ScheduleOut:
        """With ``version``: 412 if the schedule is no longer at that version."""
        path = f"{API}/schedules/{schedule_id}/resume"
        return self._send("POST", path, schedule_schemas.ScheduleOut, None, _if_match(version))

    def trigger(
        self, schedule_id: int, *, input: dict[str, Any] | None = None
    ) -> run_schemas.RunOut:
        body = None if input is None else _body(run_schemas.TriggerRequest, {"input": input})
        path = f"{API}/schedules/{schedule_id}/trigger"
        return self._send("POST", path, run_schemas.RunOut, body)

    def backfill(
        self, schedule_id: int, *, since: datetime, until: datetime, dry_run: bool = False
    ) -> run_schemas.BackfillOut:
        fields = {"since": since, "until": until, "dry_run": dry_run}
        body = _body(run_schemas.BackfillRequest, fields)
        path = f"{API}/schedules/{schedule_id}/backfill"
        return self._send("POST", path, run_schemas.BackfillOut, body)

    def runs(
        self,
        schedule_id: int,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        state: Strings | None = None,
        trigger: Strings | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> run_schemas.RunPage:
        query = _run_query(state, trigger, since, until)
        path = f"{API}/schedules/{schedule_id}/runs"
        return self._get(path, run_schemas.RunPage, cursor=cursor, limit=limit, **query)

    def iter_runs(self, schedule_id: int, **filters: Any) -> Iterator[run_schemas.RunOut]:
        return _every_page(lambda cursor: self.runs(schedule_id, cursor=cursor, **filters))

    def next(self, schedule_id: int, *, count: int = 10) -> schedule_schemas.PreviewOut:
        path = f"{API}/schedules/{schedule_id}/next"
        return self._get(path, schedule_schemas.PreviewOut, count=count)

    def versions(self, schedule_id: int) -> Versions:
        path = f"{API}/schedules/{schedule_id}/versions"
        return self._get_list(path, schedule_schemas.ScheduleVersionOut)

    def version(self, schedule_id: int, version: int) -> schedule_schemas.ScheduleVersionOut:
        path = f"{API}/schedules/{schedule_id}/versions/{version}"
        return self._get(path, schedule_schemas.ScheduleVersionOut)

    def diff(
        self, schedule_id: int, from_version: int, to_version: int
    ) -> schedule_schemas.ScheduleDiff:
        path = f"{API}/schedules/{schedule_id}/diff"
        params = {"from": from_version, "to": to_version}
        return self._get(path, schedule_schemas.ScheduleDiff, **params)

    def rollback(
        self, schedule_id: int, to_version: int, *, version: int | None = None
    ) -> schedule_schemas.ScheduleOut:
        """A new version equal to ``to_version``; ``version`` (optional) is the current one."""
        body = _body(schedule_schemas.RollbackRequest, {"version": to_version})
        path = f"{API}/schedules/{schedule_id}/rollback"
        return self._send("POST", path, schedule_schemas.ScheduleOut, body, _if_match(version))

    def events(self, schedule_id: int) -> Events:
        path = f"{API}/schedules/{schedule_id}/events"
        return self._get_list(path, schedule_schemas.ScheduleEventOut)


class Workflows(_Resource):
    def list(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> workflow_schemas.WorkflowPage:
        path = f"{API}/workflows"
        return self._get(path, workflow_schemas.WorkflowPage, cursor=cursor, limit=limit)

    def iter(self, *, limit: int | None = None) -> Iterator[workflow_schemas.WorkflowOut]:
        return _every_page(lambda cursor: self.list(cursor=cursor, limit=limit))

    def get(self, workflow_id: int) -> workflow_schemas.WorkflowOut:
        return self._get(f"{API}/workflows/{workflow_id}", workflow_schemas.WorkflowOut)

    def create(self, *, name: str, definition: dict[str, Any]) -> workflow_schemas.WorkflowOut:
        body = _body(workflow_schemas.WorkflowCreate, {"name": name, "definition": definition})
        return self._send("POST", f"{API}/workflows", workflow_schemas.WorkflowOut, body)

    def put(
        self,
        name: str,
        *,
        definition: dict[str, Any],
        version: int | None = None,
        create_only: bool = False,
    ) -> workflow_schemas.WorkflowOut:
        """Create the workflow ``name``, or give the existing one ``definition``. With
        ``version``: only if it is at that version; ``create_only``: only if it does not exist
        (else ``PreconditionFailed``, nothing written)."""
        body = _body(by_name_schemas.WorkflowPut, {"definition": definition})
        path = f"{API}/workflows/by-name/{quote(name, safe='')}"
        headers = _put_conditions(version, create_only)
        return self._send("PUT", path, workflow_schemas.WorkflowOut, body, headers)

    def update(
        self, workflow_id: int, *, version: int | None = None, **changes: Any
    ) -> workflow_schemas.WorkflowOut:
        """``name`` and/or ``definition``; with ``version``, 412 if it is no longer current."""
        body = _body(workflow_schemas.WorkflowChanges, changes)
        path = f"{API}/workflows/{workflow_id}"
        return self._send("PATCH", path, workflow_schemas.WorkflowOut, body, _if_match(version))

    def delete(self, workflow_id: int) -> None:
        self._delete(f"{API}/workflows/{workflow_id}")

    def versions(self, workflow_id: int) -> WorkflowVersions:
        path = f"{API}/workflows/{workflow_id}/versions"
        return self._get_list(path, workflow_schemas.WorkflowVersionOut)

    def version(self, workflow_id: int, version: int) -> workflow_schemas.WorkflowVersionOut:
        path = f"{API}/workflows/{workflow_id}/versions/{version}"
        return self._get(path, workflow_schemas.WorkflowVersionOut)

    def rollback(
        self, workflow_id: int, to_version: int, *, version: int | None = None
    ) -> workflow_schemas.WorkflowOut:
        """A new version whose definition equals ``to_version``'s; ``version`` (optional) is
        the current one (412 if it is no longer)."""
        body = _body(workflow_schemas.WorkflowRollback, {"version": to_version})
        path = f"{API}/workflows/{workflow_id}/rollback"
        return self._send("POST", path, workflow_schemas.WorkflowOut, body, _if_match(version))


class Runs(_Resource):
    def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        schedule_id: int | None = None,
        state: Strings | None = None,
        trigger: Strings | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> run_schemas.RunPage:
        query = _run_query(state, trigger, since, until)
        return self._get(
            f"{API}/runs",
            run_schemas.RunPage,
            cursor=cursor,
            limit=limit,
            schedule_id=schedule_id,
            **query,
        )

    def iter(self, **filters: Any) -> Iterator[run_schemas.RunOut]:
        return _every_page(lambda cursor: self.list(cursor=cursor, **filters))

    def get(self, run_id: int) -> run_schemas.RunDetail:
        return self._get(f"{API}/runs/{run_id}", run_schemas.RunDetail)

    def cancel(self, run_id: int) -> run_schemas.RunOut:
        return self._send("POST", f"{API}/runs/{run_id}/cancel", run_schemas.RunOut)

    def retry(self, run_id: int) -> run_schemas.RunOut:
        return self._send("POST", f"{API}/runs/{run_id}/retry", run_schemas.RunOut)


class AlertChannels(_Resource):
    def list(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> channel_schemas.AlertChannelPage:
        path = f"{API}/alert-channels"
        return self._get(path, channel_schemas.AlertChannelPage, cursor=cursor, limit=limit)

    def iter(self) -> Iterator[channel_schemas.AlertChannelOut]:
        return _every_page(lambda cursor: self.list(cursor=cursor))

    def get(self, channel_id: int) -> channel_schemas.AlertChannelOut:
        return self._get(f"{API}/alert-channels/{channel_id}", channel_schemas.AlertChannelOut)

    def create(self, **fields: Any) -> channel_schemas.AlertChannelOut:
        """``name``, ``kind``, ``target``, ``events``, and optionally ``secret``, ``enabled``."""
        body = _body(channel_schemas.AlertChannelCreate, fields)
        path = f"{API}/alert-channels"
        return self._send("POST", path, channel_schemas.AlertChannelOut, body)

    def put(self, name: str, **fields: Any) -> channel_schemas.AlertChannelOut:
        """Create the channel ``name``, or make the existing one exactly ``fields``."""
        body = _body(by_name_schemas.AlertChannelPut, fields)
        path = f"{API}/alert-channels/by-name/{quote(name, safe='')}"
        return self._send("PUT", path, channel_schemas.AlertChannelOut, body)

    def update(self, channel_id: int, **changes: Any) -> channel_schemas.AlertChannelOut:
        body = _body(channel_schemas.AlertChannelChanges, changes)
        path = f"{API}/alert-channels/{channel_id}"
        return self._send("PATCH", path, channel_schemas.AlertChannelOut, body)

    def delete(self, channel_id: int) -> None:
        self._delete(f"{API}/alert-channels/{channel_id}")

    def test(self, channel_id: int) -> channel_schemas.AlertTestOut:
        path = f"{API}/alert-channels/{channel_id}/test"
        return self._send("POST", path, channel_schemas.AlertTestOut)


class ApiKeys(_Resource):
    def list(self) -> list[org_schemas.ApiKeyOut]:
        return self._get_list(f"{API}/api-keys", org_schemas.ApiKeyOut)

    def create(self, *, name: str, role: str) -> org_schemas.IssuedApiKeyOut:
        """The new key; its ``token`` is shown this once."""
        body = _body(org_schemas.ApiKeyCreate, {"name": name, "role": role})
        return self._send("POST", f"{API}/api-keys", org_schemas.IssuedApiKeyOut, body)

    def revoke(self, key_id: int) -> None:
        self._delete(f"{API}/api-keys/{key_id}")


class Organization(_Resource):
    def get(self) -> org_schemas.OrganizationOut:
        return self._get(f"{API}/organization", org_schemas.OrganizationOut)

    def quotas(self) -> org_schemas.QuotasOut:
        """The organization's quotas; only the operator changes them (``cronwright org quotas``)."""
        return self._get(f"{API}/organization/quotas", org_schemas.QuotasOut)


class Cron(_Resource):
    def validate(self, expression: str, **options: Any) -> cron_schemas.CronValidateResponse:
        """Parse ``expression`` on the server; ``timezone``, ``count``, ``dst_gap``, ``dst_fold``
        as in ``POST /cron/validate``."""
        body = _body(cron_schemas.CronValidateRequest, {"expression": expression, **options})
        return self._send("POST", f"{API}/cron/validate", cron_schemas.CronValidateResponse, body)


class Templates(_Resource):
    def list(self) -> template_schemas.TemplateList:
        """Shipped templates, then the organization's own (newest versions)."""
        return self._get(f"{API}/templates", template_schemas.TemplateList)

    def get(self, name: str, *, version: int | None = None) -> template_schemas.TemplateOut:
        path = f"{API}/templates/{name}"
        return self._get(path, template_schemas.TemplateOut, version=version)

    def save(self, **document: Any) -> template_schemas.TemplateOut:
        """The next version of one of the organization's templates (docs/templates.md)."""
        body = _body(template_schemas.TemplateSave, document)
        return self._send("POST", f"{API}/templates", template_schemas.TemplateOut, body)

    def delete(self, name: str) -> None:
        self._delete(f"{API}/templates/{name}")

    def instantiate(
        self, name: str, *, schedule_name: str, **options: Any
    ) -> template_schemas.InstanceOut:
        """A workflow and a schedule from the template; ``parameters``, ``workflow_name``,
        ``version`` and ``paused`` as in ``POST /templates/{name}/instantiate``."""
        fields = {"schedule_name": schedule_name, **options}
        body = _body(template_schemas.Instantiate, fields)
        path = f"{API}/templates/{name}/instantiate"
        return self._send("POST", path, template_schemas.InstanceOut, body)

    def record(
        self,
        name: str,
        schedule_id: int,
        *,
        parameters: dict[str, Any],
        version: int | None = None,
    ) -> template_schemas.OriginOut:
        """Record that the schedule was made from the template with ``parameters`` (for a
        schedule made from the template's rendering by the caller)."""
        fields: dict[str, Any] = {"parameters": parameters}
        if version is not None:
            fields["version"] = version
        body = _body(template_schemas.RecordUse, fields)
        path = f"{API}/templates/{name}/schedules/{schedule_id}"
        return self._send("PUT", path, template_schemas.OriginOut, body)

    def schedules(self, name: str) -> template_schemas.OriginList:
        """The schedules made from the template, with the version and values of each."""
        path = f"{API}/templates/{name}/schedules"
        return self._get(path, template_schemas.OriginList)


class Client:
    """The REST API of a cronwright server, as the organization of ``api_key``.

    ``timeout`` bounds each request (seconds); ``retry`` says how 429 and 503 answers are waited
    out (``Retry-After`` honoured). Errors are :class:`cronwright.client.ApiError` subclasses
    carrying the problem document. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=http_transport,
        )
        self._transport = Transport(
            http, clock or SystemClock(), retry or RetryPolicy(), user_agent=_user_agent()
        )
        self.schedules = Schedules(self._transport)
        self.workflows = Workflows(self._transport)
        self.runs = Runs(self._transport)
        self.alert_channels = AlertChannels(self._transport)
        self.api_keys = ApiKeys(self._transport)
        self.organization = Organization(self._transport)
        self.cron = Cron(self._transport)
        self.templates = Templates(self._transport)

    def health(self) -> dict[str, Any]:
        """``/healthz``: the process answers."""
        result: dict[str, Any] = self._transport.request("GET", "/healthz").json()
        return result

    def ready(self) -> dict[str, Any]:
        """``/readyz``: the server can reach its database (a 503 raises ``Unavailable``)."""
        result: dict[str, Any] = self._transport.request("GET", "/readyz").json()
        return result

    def metrics(self) -> str:
        """``/metrics`` in the Prometheus text format."""
        return self._transport.request("GET", "/metrics").text

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"cronwright-client/{version('cronwright')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "cronwright-client"
