"""What the admin commands read and change in one organization: the contract of both targets.

``local.DatabaseAdmin`` works on the database through the service layer; ``remote.RemoteAdmin``
works through a server's API with :class:`cronwright.client.Client`. Both answer with the same
domain values, so each command renders its table or JSON once, whatever the target.

Invariants of every implementation:

- Every read and write is scoped to :attr:`Admin.organization`; another organization's rows are
  not found, with the message the database gives (``no schedule with id 7``).
- Errors are :class:`cronwright.errors.CronwrightError` (or the client's, which are too) with
  one-line messages; nothing here prints.
- ``author`` names the change in the audit trail on the database; through the API the server
  names the API key instead, as for any other API edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cronwright import actions, domain, templates
from cronwright.domain import template_records
from cronwright.service import preview, triggers
from cronwright.service import templates as service_templates

# The classes below have a method named ``templates``, which hides the module there.
Rendered = templates.Rendered


def template_checks() -> domain.ConfigCheck:
    """How the workflows of templates have their step configs checked, on either target: as
    the API checks them, shell steps allowed (the CLI is the operator's)."""
    return actions.config_checker(allow_shell=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Made:
    """What ``templates use`` made."""

    schedule: domain.Schedule
    workflow_id: domain.WorkflowId
    workflow_name: str
    origin: template_records.ScheduleOrigin


class Admin(Protocol):
    @property
    def organization(self) -> domain.Organization | None:
        """The organization acted for; None only on the database for the shipped templates."""
        ...

    # -- schedules ---------------------------------------------------------------------------------

    def schedules(
        self, where: domain.ScheduleFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Schedule]:
        """One page, oldest first; ``cursor`` from the previous page's ``next_cursor``."""
        ...

    def schedule(self, schedule_id: domain.ScheduleId) -> domain.Schedule: ...

    def workflow_name(self, workflow_id: domain.WorkflowId) -> str | None:
        """None for a workflow that is gone."""
        ...

    def preview(self, schedule_id: domain.ScheduleId, *, count: int) -> preview.Preview:
        """The next ``count`` fire times after now, in UTC and in the schedule's zone."""
        ...

    def events(self, schedule_id: domain.ScheduleId) -> list[domain.ScheduleEvent]:
        """The audit trail, oldest first."""
        ...

    def pause(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        """Paused; pausing a paused schedule changes nothing (same version)."""
        ...

    def resume(self, schedule_id: domain.ScheduleId, *, author: str) -> domain.Schedule:
        """Active again from the next slot after now; resuming an active one changes nothing."""
        ...

    def trigger(
        self, schedule_id: domain.ScheduleId, extra_input: Mapping[str, domain.JsonValue]
    ) -> domain.Run:
        """A manual run now, with ``extra_input`` merged over the schedule's input."""
        ...

    def backfill(
        self, schedule_id: domain.ScheduleId, *, since: datetime, until: datetime, dry_run: bool
    ) -> triggers.Backfill:
        """Runs for the slots of ``[since, until)`` that have none; each slot runs at most once."""
        ...

    # -- runs --------------------------------------------------------------------------------------

    def runs(
        self, where: domain.RunFilter, *, cursor: str | None, limit: int
    ) -> domain.Page[domain.Run]:
        """One page, newest first."""
        ...

    def run(self, run_id: domain.RunId) -> tuple[domain.Run, list[domain.RunStep]]:
        """A run and the records of its steps."""
        ...

    def retry(self, run_id: domain.RunId) -> domain.Run:
        """A new run of a failed, timed out or cancelled run (``Conflict`` for another state)."""
        ...

    def cancel(self, run_id: domain.RunId, *, author: str) -> domain.Run:
        """The run cancelled (``Conflict`` if it already ended)."""
        ...

    # -- API keys ----------------------------------------------------------------------------------

    def api_keys(self) -> list[domain.ApiKey]: ...

    def issue_api_key(self, *, name: str, role: domain.Role) -> domain.IssuedApiKey:
        """A new key; its token exists only in the answer."""
        ...

    def revoke_api_key(self, key_id: domain.ApiKeyId) -> domain.ApiKey:
        """The key, revoked (at once); revoking a revoked key changes nothing."""
        ...

    # -- templates ---------------------------------------------------------------------------------

    def templates(self) -> list[service_templates.CatalogEntry]:
        """The shipped templates, then the organization's own (newest versions)."""
        ...

    def template(self, name: str, *, version: int | None) -> service_templates.CatalogEntry: ...

    def made_from(self, name: str) -> list[template_records.ScheduleOrigin]:
        """The organization's schedules made from the template ``name``."""
        ...

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
        """A workflow and a schedule from the template; nothing is written unless all is valid."""
        ...

    def render_template(
        self, name: str, *, parameters: Mapping[str, object], version: int | None
    ) -> Rendered:
        """What :meth:`instantiate` would make, checked and not written (database only: the API
        has no such operation, so the client raises ``failures.DatabaseOnly``)."""
        ...

    def save_template(self, document: object, *, author: str) -> service_templates.CatalogEntry:
        """``document`` as the next version of the organization's template of its name."""
        ...
