"""Every store contract, with the invariants each implementation keeps.

Five concepts, each a folder of :mod:`cronwright.store` with its SQL implementation (SQLite and
PostgreSQL):

- :class:`Catalog` (``store/catalog``): organizations, API keys, workflows, schedules, versions,
  events, and runs as the API reads them; with :class:`AlertChannels` and :class:`Templates`.
- :class:`SlotLedger` (``store/slots``): the scheduler's side of ``runs``, one run per slot.
- :class:`RunQueue` (``store/run_queue``): the workers' side of ``runs``: claims, leases,
  finishes, retries, capability routing.
- :class:`AlertLedger` (``store/alerts``): alerts found, deliveries queued, attempts recorded.
- Infrastructure (``store/database``): engines and dialect capabilities, the schema, column
  types, the database clock, the write gate, copying and diagnosis.

The engine, the service layer and the API depend on these protocols and on the values of
:mod:`cronwright.domain`, never on an implementation; the composition root
(:mod:`cronwright.bootstrap.root`) is what chooses one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from cronwright import domain
from cronwright.domain import alert_channel, template_records
from cronwright.planning import alerts as alert_planning
from cronwright.planning import materialize

DEFAULT_LEASE = timedelta(seconds=30)  # how long a claimed run is a worker's without a heartbeat
DEFAULT_BATCH = 500  # schedules one materialising transaction locks and plans
DEFAULT_OVERLAP = timedelta(minutes=1)  # finishing transactions commit in far less
DEFAULT_MAX_LOOKBACK = timedelta(hours=24)  # how far back a first alert scan looks


# -- the catalog ------------------------------------------------------------------------------


class Catalog(Protocol):
    """Organizations, API keys, workflows, schedules (with versions and events), and the runs and
    steps as the API reads them.

    Invariants every implementation keeps:

    - **Tenancy.** Every method that reads or writes an organization's rows takes ``org_id`` and
      only ever touches rows of that organization: a row of another organization behaves exactly
      as a missing one (the matching ``NotFound`` error), and no list ever includes one.
    - **All or nothing.** Each method is one transaction: it commits entirely or not at all,
      even if the process is killed half-way.
    - **Soft deletes.** Deleted workflows and schedules are kept (``deleted_at``) for the audit
      trail and run history, but every method treats them as missing.
    - **Names are identities.** Two live workflows or schedules of an organization never share
      a name (unique indexes; a losing concurrent write sees ``Conflict``).
    - **Keyset paging.** Lists are paginated on ids: pass the last id seen (``after_id``
      ascending, ``before_id`` descending) and ask for ``limit`` rows.
    """

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


class AlertChannels(Protocol):
    """Where an organization's alerts go. Org-scoped like the catalog: another organization's
    channel behaves exactly as a missing one (``AlertChannelNotFound``); names are unique per
    organization (``Conflict``). The secret is write-only: it is stored, handed to senders with
    a claimed delivery, and never in what these methods return."""

    def add(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        kind: domain.AlertChannelKind,
        target: str,
        secret: str | None,
        events: tuple[str, ...],
        enabled: bool,
        now: datetime,
    ) -> alert_channel.AlertChannel: ...

    def get(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> alert_channel.AlertChannel: ...

    def list(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[alert_channel.AlertChannel]: ...

    def update(
        self,
        org_id: domain.OrganizationId,
        channel_id: alert_channel.AlertChannelId,
        *,
        name: str,
        target: str,
        secret: str | None,
        events: tuple[str, ...],
        enabled: bool,
    ) -> alert_channel.AlertChannel:
        """Replace the channel's settings; ``secret`` None keeps the stored one."""
        ...

    def find_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> alert_channel.AlertChannel | None: ...

    def delete(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> None: ...


class Templates(Protocol):
    """Organizations' own schedule templates, every version kept, and the template each schedule
    came from. Org-scoped like the catalog."""

    def save(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        document: domain.JsonObject,
        author: str,
        now: datetime,
    ) -> template_records.SavedTemplate:
        """Store ``document`` as the next version of ``name`` (1 if it is new); of two
        concurrent saves of one name, the loser sees ``Conflict``."""
        ...

    def get(
        self, org_id: domain.OrganizationId, name: str, version: int | None = None
    ) -> template_records.SavedTemplate:
        """``version``, or the newest; ``TemplateNotFound`` naming ``name``."""
        ...

    def latest(self, org_id: domain.OrganizationId) -> list[template_records.SavedTemplate]:
        """The newest version of each of the organization's templates, by name."""
        ...

    def versions(self, org_id: domain.OrganizationId, name: str) -> list[int]: ...

    def delete(self, org_id: domain.OrganizationId, name: str) -> None:
        """Every version of ``name``; schedules made from it keep their record of it."""
        ...

    def record_origin(
        self, org_id: domain.OrganizationId, origin: template_records.ScheduleOrigin
    ) -> None:
        """Record (or replace) the template ``origin.schedule_id`` was made from."""
        ...

    def origin(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> template_records.ScheduleOrigin | None: ...

    def made_from(
        self, org_id: domain.OrganizationId, template: str
    ) -> list[template_records.ScheduleOrigin]: ...


# -- the slot ledger --------------------------------------------------------------------------


class PlanSlots(Protocol):
    def __call__(
        self, schedule: domain.Schedule, *, now: datetime, until: datetime
    ) -> materialize.SchedulePlan:
        """The runs to write for ``schedule``'s slots from its ``next_fire_at`` up to ``until``,
        and its new ``next_fire_at``."""
        ...


class SlotLedger(Protocol):
    """The scheduler's store.

    Invariants every implementation keeps:

    - **One run per slot.** A ``(schedule_id, scheduled_for)`` pair has at most one run, however
      many schedulers offer it and however often; offering it again inserts nothing.
    - **All or nothing.** :meth:`materialize` writes a schedule's runs and its new
      ``next_fire_at`` in one transaction: killed half-way, it leaves neither, so no slot is lost
      (the old ``next_fire_at`` still points at it) and none is written twice (the constraint).
    - **No two schedulers plan one schedule at once.** Schedules being materialised are locked;
      other schedulers skip them (PostgreSQL ``FOR UPDATE SKIP LOCKED``) or wait (SQLite's single
      writer), so many schedulers share the work with no leader.
    - Only live (not deleted), unpaused schedules are materialised.
    """

    def materialize(
        self,
        *,
        now: datetime,
        lookahead: timedelta,
        batch: int = DEFAULT_BATCH,
        plan: PlanSlots | None = None,
    ) -> domain.Materialized:
        """In one transaction: lock up to ``batch`` live, unpaused schedules with
        ``next_fire_at <= now + lookahead`` (oldest first), plan each with ``plan`` (default
        :class:`~cronwright.materialize.materialize.SlotPlanner`) up to ``now + lookahead``, insert
        the planned runs (``trigger = schedule``, the schedule's current version, its input and
        ``max_attempts``; a missed run is finished at ``now``), skipping slots that have a run
        already, and set each ``next_fire_at`` to the plan's. Signals workers if pending runs
        were written."""
        ...

    def earliest_next_fire_at(self) -> datetime | None:
        """The earliest ``next_fire_at`` of a live, unpaused schedule, or None."""
        ...

    def add_runs(self, runs: Sequence[domain.NewRun]) -> domain.InsertedRuns:
        """Insert ``runs`` in one transaction; a scheduled slot that already has a run is
        skipped and reported in ``existing``. Runs without a schedule are always inserted.
        Signals workers if pending runs were written."""
        ...

    def existing_slots(
        self, schedule_id: domain.ScheduleId, slots: Collection[datetime]
    ) -> dict[datetime, domain.RunState]:
        """The state of the run of each slot in ``slots`` that has one."""
        ...


# -- the run queue ----------------------------------------------------------------------------


class RunQueue(Protocol):
    """The runs a worker may execute, with exactness guarantees across any number of processes.

    Invariants every implementation keeps:

    - **One owner per attempt.** A run is claimed by at most one worker at a time; claiming sets
      ``state = running``, ``worker_id``, ``attempt + 1``, ``started_at = now`` and
      ``lease_expires_at = now + lease``.
    - **Limits hold exactly, cluster-wide.** A claim never makes the number of ``running`` runs
      exceed an organization's ``max_concurrent_runs``, the global limit, or ``process_capacity``
      for the claiming worker; the schedule's overlap policy decides about its own siblings. The
      counts come from the ``runs`` table itself, under the ``limit_locks`` rows involved (locked
      in key order, so two claimers never deadlock).
    - **Fenced writes.** Heartbeat, finish and release only touch rows still ``running`` for
      that worker at that attempt: a worker that lost its lease (reaped, cancelled) changes
      nothing. A failed attempt with attempts left goes back to ``pending`` after a backoff;
      the last one ends ``failed`` or ``timed_out``.
    - **Nothing is lost to a dead worker.** A run whose lease expired is reaped by any process
      into a retry or a final failure, exactly as if the attempt had failed.
    - Each method is one transaction; none stays open while an action runs.
    """

    def register_worker(
        self,
        worker_id: str,
        *,
        host: str,
        pid: int,
        now: datetime,
        capabilities: domain.Capabilities | None = None,
    ) -> None:
        """Insert or refresh the worker's row in the registry, with what it can execute (None:
        anything)."""
        ...

    def unregister_worker(self, worker_id: str) -> None: ...

    def claim(
        self,
        worker_id: str,
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        limit: int,
        process_capacity: int | None = None,
        capabilities: domain.Capabilities | None = None,
        ahead: timedelta = timedelta(0),
        ahead_limit: int = 0,
    ) -> list[domain.ClaimedRun]:
        """Claim up to ``limit`` pending runs with ``available_at <= now``, oldest first, and up
        to ``ahead_limit`` whose ``available_at`` is within ``ahead`` after ``now``: claimed
        ahead, to be started at their time (their ``started_at`` is that time). A run claimed
        ahead counts as running for every limit; only a run its overlap policy lets start now
        is claimed ahead (see :func:`cronwright.store.run_queue.claiming.claim_runs`).

        With ``capabilities``, only runs whose every step the worker can execute: the others
        stay pending, untouched, for a worker that can (capability routing).

        Candidates are first judged: overlap (see :mod:`cronwright.planning.overlap`) may skip
        them, keep them waiting or cancel running siblings; misfire (see
        :mod:`cronwright.planning.misfire`) may mark them ``missed``. A run that would break a
        limit stays pending for a later claim. ``process_capacity`` caps this worker's own
        running runs, counted from the table.
        """
        ...

    def next_available_at(self, *, after: datetime) -> datetime | None:
        """The earliest ``available_at`` later than ``after`` of a pending run, or None: when a
        claim finds nothing, the worker sleeps until then rather than a whole poll interval."""
        ...

    def pending_within(self, *, since: datetime, until: datetime) -> int:
        """How many pending runs are available from ``since`` to ``until`` (both included): how
        much a worker claiming ahead has to take before a burst's time, to start early enough."""
        ...

    def heartbeat(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        lease: timedelta = DEFAULT_LEASE,
        capabilities: domain.Capabilities | None = None,
        loops: domain.JsonValue = None,
    ) -> set[domain.RunId]:
        """Extend the leases of the runs still running for ``worker_id``, refresh its registry
        row (and its capabilities and loop health, when given), and return the ids it has lost
        (cancelled, reaped): their actions must stop."""
        ...

    def record_step(self, step: domain.StepRecord) -> None:
        """Record one step of one attempt (idempotent per run, name and attempt)."""
        ...

    def finish(
        self,
        run_id: domain.RunId,
        *,
        worker_id: str,
        attempt: int,
        outcome: domain.RunOutcome,
        now: datetime,
        started_at: datetime | None = None,
    ) -> domain.Run | None:
        """End an attempt, fenced on ``(worker_id, attempt, state = running)``; None if fenced
        out (the worker lost the run). Failure with attempts left: back to ``pending`` at
        ``now + backoff``, the error kept; after the last attempt: ``failed``/``timed_out``.
        ``started_at``: the attempt's real start, written over the row's when given (a run
        claimed ahead has its planned start there)."""
        ...

    def write_batch(
        self, steps: Sequence[domain.StepRecord], finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        """Record ``steps`` (each as :meth:`record_step`) then end each of ``finishes`` (each as
        :meth:`finish`, fenced on its own), in one transaction (group commit); the finishes'
        results in their order (None: fenced out). A second finish of the same attempt in the
        batch is fenced out."""
        ...

    def release(
        self,
        worker_id: str,
        run_ids: Collection[domain.RunId],
        *,
        now: datetime,
        keep_time: bool = False,
    ) -> list[domain.RunId]:
        """Give runs back (shutdown): ``pending`` again, available now (a run claimed ahead:
        at its time, as before), the attempt not consumed, the step records of that attempt
        deleted (its re-run records its own). Only rows still running for ``worker_id``; returns
        those released. ``keep_time``: available at their time even if it passed (runs held
        ahead past their misfire grace: the next claim records them missed)."""
        ...

    def reap_expired(self, *, now: datetime, limit: int = 100) -> list[domain.Run]:
        """Treat each running run whose lease expired before ``now`` as a failed attempt (its
        steps get a ``_lease`` record saying so): a retry, or the final failure."""
        ...

    def cancel(
        self,
        org_id: domain.OrganizationId,
        run_id: domain.RunId,
        *,
        now: datetime,
        reason: str = "cancelled",
    ) -> domain.Run:
        """Cancel a pending or running run of the organization (a running one's worker learns
        at its next heartbeat and stops the action). ``RunNotFound`` if not the organization's;
        ``Conflict`` if the run already ended."""
        ...

    def snapshot(self, *, now: datetime, since: datetime) -> domain.QueueSnapshot: ...

    def live_workers(self, *, since: datetime) -> list[domain.LiveWorker]:
        """The registered workers whose last heartbeat is not older than ``since``."""
        ...

    def explain_waiting(self, *, now: datetime, live_since: datetime) -> int:
        """Give pending runs due by ``now`` that no live worker can execute the reason why; take
        it off those one now can. How many runs were given a reason."""
        ...

    def waiting_in(self, org_id: domain.OrganizationId) -> list[domain.WaitingRuns]:
        """The organization's pending runs given a reason by :meth:`explain_waiting`, counted by
        workflow and reason, most first."""
        ...


# -- the alert ledger -------------------------------------------------------------------------


class AlertLedger(Protocol):
    """Alert bookkeeping shared by any number of processes.

    Invariants every implementation keeps:

    - **One delivery per alert and channel.** ``(channel_id, dedup_key)`` is unique among
      deliveries and among suppressions (alerts held back by the rate limit), and inserts use
      ``ON CONFLICT DO NOTHING``: scanning the same facts twice, or from two processes, queues
      nothing twice.
    - **No fact is skipped.** Scans take turns on a cursor row (``FOR UPDATE SKIP LOCKED``;
      SQLite: ``BEGIN IMMEDIATE``); each considers runs finished after the cursor less an
      overlap (transactions that committed late) and moves the cursor to ``now``. Late slots
      are found by state (``next_fire_at`` or a pending run past its grace), not by the cursor.
    - **One sender per attempt.** Claiming a delivery counts the attempt and pushes its
      ``next_attempt_at`` out by a lease, so no other process takes it while it is being sent;
      a sender that dies leaves it to be claimed again when the lease ends. Outcomes are fenced
      on the attempt number; each attempt is recorded with how it ended.
    """

    def scan(
        self,
        *,
        now: datetime,
        rate: alert_planning.RateLimit,
        overlap: timedelta = DEFAULT_OVERLAP,
        max_lookback: timedelta = DEFAULT_MAX_LOOKBACK,
    ) -> domain.ScanReport | None:
        """Queue the deliveries the facts up to ``now`` call for; None if another process is
        scanning right now (it will do the work)."""
        ...

    def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[domain.OutgoingDelivery]:
        """Up to ``limit`` pending deliveries with ``next_attempt_at <= now``, oldest first,
        each with its attempt counted and its ``next_attempt_at`` moved to ``now + lease``."""
        ...

    def add_test(
        self,
        org_id: domain.OrganizationId,
        channel_id: alert_channel.AlertChannelId,
        *,
        now: datetime,
        lease: timedelta,
    ) -> domain.OutgoingDelivery:
        """A test delivery for the channel (enabled or not), claimed for its first and only
        attempt. ``AlertChannelNotFound`` if the organization has no such channel."""
        ...

    def record_attempt(
        self,
        delivery: domain.OutgoingDelivery,
        *,
        started_at: datetime,
        now: datetime,
        error: str | None,
        policy: alert_planning.DeliveryPolicy,
    ) -> domain.DeliveryRecord | None:
        """Record how ``delivery``'s attempt went (``error`` None: delivered). A failure is
        retried at the policy's next time, or ends the delivery ``failed``. None if the attempt
        was fenced out (its lease ended and another process took the delivery)."""
        ...

    def prune(self, *, created_before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` delivered or failed deliveries created before
        ``created_before`` (their attempts and suppressions go with them); how many went.
        Pending ones are kept whatever their age."""
        ...

    def deliveries(
        self,
        org_id: domain.OrganizationId,
        *,
        channel_id: alert_channel.AlertChannelId | None = None,
    ) -> list[domain.DeliveryRecord]: ...
