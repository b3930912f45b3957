"""The ``Store`` contract: what every backend must do, and the invariants it must keep.

Every method that reads or writes an organization's rows takes ``org_id`` and only ever touches
rows of that organization: a row of another organization behaves exactly as a missing one
(the matching ``NotFound`` error), and no list ever includes one.

Each method is one transaction: it commits entirely or not at all, even if the process is killed
half-way. Deleted workflows and schedules are kept (``deleted_at``) for the audit trail and run
history, but every method here treats them as missing.

Lists are keyset-paginated on ids: pass the last id seen (``after_id`` ascending, ``before_id``
descending) and ask for ``limit`` rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from cronwright import domain


class Store(Protocol):
    # -- organizations and API keys -------------------------------------------------------------

    def create_organization(
        self, *, name: str, max_schedules: int, max_concurrent_runs: int, now: datetime
    ) -> domain.Organization:
        """Insert an organization with ``schedule_count = 0``. ``Conflict`` if the name is taken."""
        ...

    def get_organization(self, org_id: domain.OrganizationId) -> domain.Organization:
        """``OrganizationNotFound`` if absent."""
        ...

    def list_organizations(self) -> list[domain.Organization]:
        """All organizations, by id."""
        ...

    def set_organization_quotas(
        self, org_id: domain.OrganizationId, *, max_schedules: int, max_concurrent_runs: int
    ) -> domain.Organization:
        """Change limits. Lowering ``max_schedules`` below the count deletes nothing; it only
        stops new schedules until the count is under the limit again."""
        ...

    def add_api_key(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        role: domain.Role,
        prefix: str,
        secret_hash: str,
        now: datetime,
    ) -> domain.ApiKey:
        """Store a key by its public ``prefix`` (unique) and the hash of its secret."""
        ...

    def find_api_key(self, prefix: str) -> domain.ApiKey | None:
        """The key with this prefix in any organization (authentication decides the org), or
        None. Revoked keys are returned too: the caller refuses them."""
        ...

    def list_api_keys(self, org_id: domain.OrganizationId) -> list[domain.ApiKey]:
        """The organization's keys, revoked ones included, by id."""
        ...

    def revoke_api_key(
        self, org_id: domain.OrganizationId, key_id: domain.ApiKeyId, *, now: datetime
    ) -> domain.ApiKey:
        """Set ``revoked_at = now`` unless already set (the first revocation time is kept).
        ``ApiKeyNotFound`` if absent or another organization's."""
        ...

    def touch_api_key(self, key_id: domain.ApiKeyId, *, now: datetime) -> None:
        """Record a use: ``last_used_at = now``."""
        ...

    # -- workflows --------------------------------------------------------------------------------

    def add_workflow(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        definition: domain.WorkflowDefinition,
        now: datetime,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        """Insert at version 1, and that version by ``author`` into its history. The definition
        must already be validated."""
        ...

    def get_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> domain.Workflow:
        """``WorkflowNotFound`` if absent, deleted or another organization's."""
        ...

    def list_workflows(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[domain.Workflow]:
        """Live workflows with ``id > after_id``, ascending."""
        ...

    def update_workflow(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        name: str,
        definition: domain.WorkflowDefinition,
        now: datetime,
        expected_version: int | None = None,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        """Replace name and definition, ``version + 1``, and add that version by ``author`` to its
        history in the same transaction. ``StaleVersion`` if ``expected_version`` is given and is
        not the current version."""
        ...

    def list_workflow_versions(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> list[domain.WorkflowVersion]:
        """Every version of a live workflow, oldest first (from its first save after migration
        0009; a workflow older than that starts at the version it then had)."""
        ...

    def get_workflow_version(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId, version: int
    ) -> domain.WorkflowVersion:
        """``WorkflowVersionNotFound`` if the history has no such version."""
        ...

    def delete_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId, *, now: datetime
    ) -> None:
        """Mark deleted. ``Conflict`` while a live schedule uses it."""
        ...

    def find_workflow_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> domain.Workflow | None:
        """The organization's live workflow named ``name`` (names are unique), or None."""
        ...

    # -- schedules --------------------------------------------------------------------------------

    def add_schedule(
        self,
        *,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        hash_key: str,
        next_fire_at: datetime | None,
        author: str,
        now: datetime,
    ) -> domain.Schedule:
        """In one transaction: count the schedule against the organization's ``max_schedules``
        (``QuotaExceeded`` when full), insert it at version 1, its version-1 snapshot and a
        ``created`` event. ``ScheduleConflict`` (with the existing ids) if a live schedule of the
        organization has the same name, or the same workflow, cron text, time zone and input.
        ``WorkflowNotFound`` if ``spec.workflow_id`` is not a live workflow of the
        organization."""
        ...

    def add_schedules(
        self,
        *,
        org_id: domain.OrganizationId,
        schedules: Sequence[domain.NewSchedule],
        author: str,
        now: datetime,
    ) -> list[domain.Schedule]:
        """:meth:`add_schedule` for many at once, all or nothing, in the order given: the quota
        must hold them all, and a conflict with any (or between two) inserts none."""
        ...

    def get_schedule(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> domain.Schedule:
        """``ScheduleNotFound`` if absent, deleted or another organization's."""
        ...

    def get_schedules(
        self, org_id: domain.OrganizationId, schedule_ids: Collection[domain.ScheduleId]
    ) -> list[domain.Schedule]:
        """Those of ``schedule_ids`` that are live schedules of ``org_id``, in one read (the
        others are left out)."""
        ...

    def find_conflicting_schedule(
        self,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        *,
        exclude: domain.ScheduleId | None = None,
    ) -> domain.ScheduleId | None:
        """The live schedule (other than ``exclude``) that ``spec`` would conflict with."""
        ...

    def find_schedule_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> domain.Schedule | None:
        """The organization's live schedule named ``name`` (names are unique), or None."""
        ...

    def list_schedules(
        self,
        org_id: domain.OrganizationId,
        where: domain.ScheduleFilter,
        *,
        after_id: int | None,
        limit: int,
    ) -> list[domain.Schedule]:
        """Live schedules matching every set filter with ``id > after_id``, ascending."""
        ...

    def update_schedule(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        spec: domain.ScheduleSpec,
        next_fire_at: datetime | None,
        event: domain.ScheduleEventKind,
        author: str,
        now: datetime,
        expected_version: int,
        detail: domain.JsonObject | None = None,
    ) -> domain.Schedule:
        """In one transaction, only if the schedule is still at ``expected_version`` (else
        ``StaleVersion``): write ``spec`` and ``next_fire_at``, ``version + 1``, a snapshot of
        the new version and an ``event``. A crash leaves either all of it or none of it.
        ``ScheduleConflict`` as for :meth:`add_schedule`, the schedule itself excepted."""
        ...

    def delete_schedule(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        author: str,
        now: datetime,
    ) -> None:
        """Mark deleted, clear ``next_fire_at``, free its place in the quota, write a ``deleted``
        event. Versions, events and runs are kept."""
        ...

    def list_schedule_versions(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> list[domain.ScheduleVersion]:
        """Every version, oldest first."""
        ...

    def get_schedule_version(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId, version: int
    ) -> domain.ScheduleVersion:
        """``ScheduleVersionNotFound`` if the schedule never had this version."""
        ...

    def list_schedule_events(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> list[domain.ScheduleEvent]:
        """The audit trail, oldest first (also for a deleted schedule)."""
        ...

    # -- runs -------------------------------------------------------------------------------------

    def add_run(self, run: domain.NewRun) -> domain.Run | None:
        """Insert a run at attempt 0. A second run for the same ``(schedule_id, scheduled_for)``
        is not inserted and None is returned: a slot runs once however often it is offered."""
        ...

    def get_run(self, org_id: domain.OrganizationId, run_id: domain.RunId) -> domain.Run:
        """``RunNotFound`` if absent or another organization's."""
        ...

    def list_runs(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter,
        *,
        before_id: int | None,
        limit: int,
    ) -> list[domain.Run]:
        """Runs matching every set filter with ``id < before_id``, newest (highest id) first."""
        ...

    def next_schedules(self, org_id: domain.OrganizationId, *, limit: int) -> list[domain.Schedule]:
        """The organization's live schedules that fire next (paused and finished ones have no
        next fire), soonest first."""
        ...

    def count_runs(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter,
        *,
        available_by: datetime | None = None,
    ) -> dict[domain.RunState, int]:
        """How many runs match every set filter, by state (states with none are left out);
        ``available_by``: only runs whose ``available_at`` is at or before it."""
        ...

    def count_runs_by_hour(
        self, org_id: domain.OrganizationId, *, since: datetime, until: datetime
    ) -> dict[tuple[datetime, domain.RunState], int]:
        """How many runs have a slot in ``[since, until)``, by (UTC hour of the slot, state), in
        one pass (hours and states with none are left out)."""
        ...

    def add_run_step(
        self,
        *,
        run_id: domain.RunId,
        name: str,
        kind: str,
        attempt: int,
        state: domain.RunState,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
        output: domain.JsonValue = None,
        error: str | None = None,
    ) -> domain.RunStep:
        """Record one step of one attempt of a run; unique per ``(run_id, name, attempt)``."""
        ...

    def list_run_steps(
        self, org_id: domain.OrganizationId, run_id: domain.RunId
    ) -> list[domain.RunStep]:
        """The run's steps by id. ``RunNotFound`` if the run is another organization's."""
        ...

    def prune_runs(self, *, finished_before: datetime | None, keep_per_schedule: int | None) -> int:
        """Delete finished runs (terminal state) finished (or, lacking that, scheduled) before
        ``finished_before``, and finished runs beyond the newest ``keep_per_schedule`` of each
        schedule (by ``scheduled_for``). Pending and running runs are never deleted; their steps
        go with them. Returns the number of runs deleted."""
        ...
