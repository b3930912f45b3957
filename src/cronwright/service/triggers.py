"""Runs made on request, for one organization: trigger a schedule now, backfill a range of its
slots, retry a run that did not succeed.

Backfilled runs are slots like the scheduler's (unique per ``(schedule, scheduled_for)``), so a
slot that already ran is reported as existing and never runs twice. Manual and retry runs are not
slots: their rows carry no ``schedule_id`` (any number may exist, and they take no part in the
slot's overlap rules) and point at the schedule version that made them through
``schedule_version_id``; the store names the schedule through it whenever a run is read, so the
API, the command line and the dashboard show them linked to their schedule.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cronwright import clock, domain, errors
from cronwright.planning import catchup
from cronwright.planning.slots import Cadence
from cronwright.store import contracts

DEFAULT_MAX_BACKFILL_SLOTS = 1000
RETRYABLE_STATES = frozenset(
    {domain.RunState.FAILED, domain.RunState.TIMED_OUT, domain.RunState.CANCELLED}
)


class RunNotRetryable(errors.Conflict):
    """Only a run that ended without success can be retried."""

    def __init__(self, run_id: domain.RunId, state: domain.RunState) -> None:
        super().__init__(
            f"run {run_id} is {state.value}: only failed, timed out or cancelled runs can be "
            "retried"
        )
        self.run_id = run_id
        self.state = state


class BackfillOutcome(StrEnum):
    CREATED = "created"  # a pending run was written
    WOULD_CREATE = "would_create"  # dry run: a pending run would be written
    EXISTS = "exists"  # the slot has a run already; nothing written
    NOT_RUN = "not_run"  # the catch-up rules left it out; see ``reason``


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillSlot:
    scheduled_for: datetime
    outcome: BackfillOutcome
    state: domain.RunState | None = None  # of the run created or found
    run_id: domain.RunId | None = None  # of the run created
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Backfill:
    schedule_id: domain.ScheduleId
    since: datetime
    until: datetime
    dry_run: bool
    slots: tuple[BackfillSlot, ...]

    def count(self, outcome: BackfillOutcome) -> int:
        return sum(1 for slot in self.slots if slot.outcome is outcome)


class Triggers:
    def __init__(
        self,
        store: contracts.Catalog,
        slots: contracts.SlotLedger,
        clock: clock.Clock,
        *,
        max_backfill_slots: int = DEFAULT_MAX_BACKFILL_SLOTS,
    ) -> None:
        self._store = store
        self._slots = slots
        self._clock = clock
        self._max_backfill_slots = max_backfill_slots

    def trigger_now(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        input: Mapping[str, domain.JsonValue] | None = None,
    ) -> domain.Run:
        """A ``manual`` run of the schedule's workflow, claimable now (also while paused), with
        ``input`` merged over the schedule's input."""
        schedule = self._store.get_schedule(org_id, schedule_id)
        extra = _checked_input(input or {})
        version = self._store.get_schedule_version(org_id, schedule_id, schedule.version)
        now = self._clock.now()
        run = domain.NewRun(
            org_id=org_id,
            workflow_id=schedule.spec.workflow_id,
            schedule_id=None,
            schedule_version_id=version.id,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=now,
            available_at=now,
            max_attempts=schedule.spec.max_attempts,
            created_at=now,
            input={**schedule.spec.input, **extra},
        )
        (created,) = self._slots.add_runs([run]).runs
        return dataclasses.replace(created, schedule_id=schedule_id)  # as readers see it

    def backfill(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        since: datetime,
        until: datetime,
        dry_run: bool = False,
    ) -> Backfill:
        """Run the schedule's slots in ``[since, until)`` (within its start/end) that have no run
        yet, as ``backfill`` runs claimable now. ``until`` may not be in the future: those slots
        are the scheduler's. With ``dry_run``, write nothing and say what would happen.
        ``InvalidInput`` for a range holding more than ``max_backfill_slots`` slots."""
        now = self._clock.now()
        _check_range(since, until, now)
        schedule = self._store.get_schedule(org_id, schedule_id)
        cadence = Cadence.of_schedule(schedule)
        limit = self._max_backfill_slots
        found = list(
            itertools.islice(
                cadence.slots_from(since, until=until - timedelta(microseconds=1)), limit + 1
            )
        )
        if len(found) > limit:
            raise errors.InvalidInput(
                field="until", message=f"the range holds more than {limit} slots; split it"
            )
        # A backfill asks for every slot of the range: catch-up policy ``all`` over the range.
        decisions = catchup.decide(
            found,
            now=now,
            rule=catchup.CatchupRule(policy=domain.CatchupPolicy.ALL, window=now - since),
            settings=catchup.CatchupSettings(max_catchup_runs=max(1, len(found))),
        )
        existing = self._slots.existing_slots(schedule_id, found)
        wanted = [d for d in decisions if d.runs and d.scheduled_for not in existing]
        created: dict[datetime, domain.Run] = {}
        if wanted and not dry_run:
            version = self._store.get_schedule_version(org_id, schedule_id, schedule.version)
            inserted = self._slots.add_runs(
                [
                    domain.NewRun(
                        org_id=org_id,
                        workflow_id=schedule.spec.workflow_id,
                        schedule_id=schedule_id,
                        schedule_version_id=version.id,
                        trigger=domain.Trigger.BACKFILL,
                        scheduled_for=decision.scheduled_for,
                        available_at=now,
                        max_attempts=schedule.spec.max_attempts,
                        created_at=now,
                        input=schedule.spec.input,
                    )
                    for decision in wanted
                ]
            )
            created = {run.scheduled_for: run for run in inserted.runs}
            # Slots a scheduler (or another backfill) wrote since we looked.
            existing.update(self._slots.existing_slots(schedule_id, inserted.existing))
        return Backfill(
            schedule_id=schedule_id,
            since=since,
            until=until,
            dry_run=dry_run,
            slots=tuple(_outcome(d, existing, created, dry_run) for d in decisions),
        )

    def retry_run(self, org_id: domain.OrganizationId, run_id: domain.RunId) -> domain.Run:
        """A new ``retry`` run of a failed, timed out or cancelled run: same workflow, input,
        slot and schedule version, attempts starting afresh. ``RunNotRetryable`` otherwise."""
        original = self._store.get_run(org_id, run_id)
        if original.state not in RETRYABLE_STATES:
            raise RunNotRetryable(run_id, original.state)
        now = self._clock.now()
        run = domain.NewRun(
            org_id=org_id,
            workflow_id=original.workflow_id,
            schedule_id=None,
            schedule_version_id=original.schedule_version_id,
            trigger=domain.Trigger.RETRY,
            scheduled_for=original.scheduled_for,
            available_at=now,
            max_attempts=original.max_attempts,
            created_at=now,
            reason=f"retry of run {run_id}",
            input=original.input,
        )
        (created,) = self._slots.add_runs([run]).runs
        return self._store.get_run(org_id, created.id)  # with its schedule, as readers see it


def _outcome(
    decision: catchup.SlotDecision,
    existing: Mapping[datetime, domain.RunState],
    created: Mapping[datetime, domain.Run],
    dry_run: bool,
) -> BackfillSlot:
    at = decision.scheduled_for
    if at in created:
        run = created[at]
        return BackfillSlot(
            scheduled_for=at, outcome=BackfillOutcome.CREATED, state=run.state, run_id=run.id
        )
    if at in existing:
        return BackfillSlot(scheduled_for=at, outcome=BackfillOutcome.EXISTS, state=existing[at])
    if not decision.runs:
        return BackfillSlot(
            scheduled_for=at, outcome=BackfillOutcome.NOT_RUN, reason=decision.reason
        )
    assert dry_run, "every slot to run was either created or found existing"
    return BackfillSlot(
        scheduled_for=at, outcome=BackfillOutcome.WOULD_CREATE, state=domain.RunState.PENDING
    )


def _check_range(since: datetime, until: datetime, now: datetime) -> None:
    for name, instant in (("since", since), ("until", until)):
        if instant.utcoffset() is None:
            raise errors.InvalidInput(field=name, message="must be timezone-aware")
    if until <= since:
        raise errors.InvalidInput(field="until", message="must be after since")
    if until > now:
        raise errors.InvalidInput(
            field="until", message="must not be in the future: upcoming slots are the scheduler's"
        )


def _checked_input(value: Mapping[str, domain.JsonValue]) -> domain.JsonObject:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise errors.InvalidInput(field="input", message="must be a JSON object")
    try:
        domain.canonical_json(value)
    except (TypeError, ValueError):
        raise errors.InvalidInput(field="input", message="must hold JSON values only") from None
    return dict(value)
