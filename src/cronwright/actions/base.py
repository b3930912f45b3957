"""What a step does: an :class:`Action` with one method, given a :class:`StepContext`.

The worker owns policy (timeouts, retries, recording); an action just runs. Execution is
at-least-once: an action that has effects outside cronwright should use
:attr:`StepContext.idempotency_key`, which is the same for every execution of one attempt and
differs between attempts.

:attr:`StepContext.run` says which slot the step runs for: a backfilled or retried run works on
its own slot, not on "now".
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol

from cronwright import domain


@dataclass(frozen=True, slots=True, kw_only=True)
class RunContext:
    """The slot a run is for. Its data interval is ``[interval_start, scheduled_for)``."""

    scheduled_for: datetime  # the slot, aware UTC; a manual run's is its request time
    zone: tzinfo  # the schedule's time zone; UTC for a run of a bare workflow
    # The schedule's slot before this one (for a manual run: the last slot before the request);
    # None without a schedule, or when the expression never fired before.
    interval_start: datetime | None
    trigger: domain.Trigger
    schedule_id: domain.ScheduleId | None = None  # None for a run of a bare workflow
    schedule_name: str | None = None  # as of the schedule version that made the run

    @property
    def scheduled_for_local(self) -> datetime:
        return self.scheduled_for.astimezone(self.zone)

    @property
    def date_local(self) -> date:
        """The slot's day in the schedule's zone: what a nightly job usually works on."""
        return self.scheduled_for_local.date()

    @classmethod
    def bare(cls, scheduled_for: datetime, trigger: domain.Trigger) -> RunContext:
        """The context of a run no schedule made (a chain, a manual run of a workflow)."""
        return cls(scheduled_for=scheduled_for, zone=UTC, interval_start=None, trigger=trigger)

    def as_json(self) -> domain.JsonObject:
        """What ``{{ run.* }}`` references read: instants as ISO 8601 text."""
        start = self.interval_start
        return {
            "scheduled_for": self.scheduled_for.astimezone(UTC).isoformat(),
            "scheduled_for_local": self.scheduled_for_local.isoformat(),
            "date_local": self.date_local.isoformat(),
            "interval_start": None if start is None else start.astimezone(UTC).isoformat(),
            "interval_start_local": None
            if start is None
            else start.astimezone(self.zone).isoformat(),
            "timezone": str(self.zone),
            "trigger": self.trigger.value,
            "schedule": {"id": self.schedule_id, "name": self.schedule_name},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StepContext:
    run_id: domain.RunId
    attempt: int  # 1 for the first attempt
    step: str
    input: domain.JsonObject  # the run's input
    upstream: Mapping[str, domain.JsonValue]  # outputs of the steps this one depends on
    timeout: timedelta  # the step's timeout, or what is left of the run's time if that is less
    run: RunContext  # the slot the run is for
    org_id: domain.OrganizationId | None = None  # of the run; what ``trigger`` steps start in
    # Set when the step must stop: the run timed out, was cancelled, or its lease was lost.
    # Long actions should check it; async ones are cancelled when it is set.
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}:{self.attempt}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepOutcome:
    """A step's JSON output, or the error that failed it."""

    output: domain.JsonValue = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def success(cls, output: domain.JsonValue = None) -> StepOutcome:
        return cls(output=output)

    @classmethod
    def failure(cls, error: str) -> StepOutcome:
        return cls(error=error)


class Action(Protocol):
    def run(self, ctx: StepContext) -> StepOutcome:
        """Do the step. Return a failure rather than raise for expected errors; an exception
        fails the step too, with its type and message."""
        ...
