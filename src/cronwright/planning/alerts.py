"""Which alerts a set of facts calls for, how often a schedule may alert, when to retry a delivery.

Pure: the store gathers facts (runs that finished, slots that did not start) and hands them here
with "now"; the engine delivers what comes out. Every alert carries a dedup key naming the fact it
is about, so finding the same fact again (another process, an overlapping scan) is harmless:
the store keeps one delivery per channel and key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cronwright import domain
from cronwright.domain import alert_channel
from cronwright.planning import backoff

RUN_FAILED = "run_failed"
RUN_RECOVERED = "run_recovered"
SCHEDULE_MISSED = "schedule_missed"
COALESCED = "alerts_coalesced"  # a summary of the alerts the rate limit held back
TEST = "test"
assert {RUN_FAILED, RUN_RECOVERED, SCHEDULE_MISSED} == alert_channel.ALERT_EVENTS

FINAL_FAILURES = frozenset({domain.RunState.FAILED, domain.RunState.TIMED_OUT})
OUTCOMES = FINAL_FAILURES | {domain.RunState.SUCCEEDED}  # what recovery is judged on
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedRun:
    """A run that ended (succeeded, failed, timed out or missed), as the planner needs it."""

    id: domain.RunId
    org_id: domain.OrganizationId
    schedule_id: domain.ScheduleId | None
    schedule_name: str | None
    workflow_id: domain.WorkflowId
    state: domain.RunState
    scheduled_for: datetime
    finished_at: datetime
    attempt: int
    error: str | None = None
    reason: str | None = None

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.finished_at, self.id)


class MissCause:
    SCHEDULER = "scheduler"  # next_fire_at passed and no scheduler wrote the slot's run
    QUEUE = "queue"  # the slot's run is pending past its grace: no worker took it
    MISSED = "missed"  # runs were marked missed (catch-up or misfire)


@dataclass(frozen=True, slots=True, kw_only=True)
class LateSlot:
    """A slot of a schedule that has not started: its run was never written, still waits, or
    was marked missed. Runs one transaction marked missed together (catch-up after an outage)
    are one ``LateSlot`` from ``slot_at`` to ``last_slot_at``: one alert, not one per slot."""

    org_id: domain.OrganizationId
    schedule_id: domain.ScheduleId
    schedule_name: str
    slot_at: datetime  # the scheduled instant (``next_fire_at``, or the run's ``scheduled_for``)
    due_at: datetime  # when it should have started: ``next_fire_at`` / the run's available_at
    grace: timedelta  # the schedule's misfire grace
    cause: str
    run_id: domain.RunId | None = None
    count: int = 1  # slots from ``slot_at`` to ``last_slot_at``
    last_slot_at: datetime | None = None
    waiting_reason: str | None = None  # a waiting run's reason (no worker can execute it...)

    def is_late(self, now: datetime) -> bool:
        return self.cause == MissCause.MISSED or self.due_at + self.grace < now


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    event: str
    dedup_key: str
    org_id: domain.OrganizationId
    schedule_id: domain.ScheduleId | None
    run_id: domain.RunId | None
    occurred_at: datetime
    summary: str  # one line for people: a mail subject, a chat message
    details: domain.JsonObject = field(default_factory=dict)

    @property
    def rate_key(self) -> str | None:
        """What the rate limit counts by: the schedule (runs without one are not limited)."""
        return None if self.schedule_id is None else f"schedule:{self.schedule_id}"

    def payload(self) -> domain.JsonObject:
        """The JSON document a webhook receives (and a mail renders)."""
        return {
            "id": self.dedup_key,
            "event": self.event,
            "occurred_at": self.occurred_at.isoformat(),
            "organization_id": self.org_id,
            "schedule_id": self.schedule_id,
            "run_id": self.run_id,
            "summary": self.summary,
            "details": dict(self.details),
        }


def failure_key(run_id: int) -> str:
    return f"failure:run:{run_id}"


def recovery_key(run_id: int) -> str:
    return f"recovery:run:{run_id}"


def missed_key(schedule_id: int, slot_at: datetime) -> str:
    return f"missed:schedule:{schedule_id}:{slot_at.astimezone(UTC).isoformat()}"


def _what(run: FinishedRun) -> str:
    return f"schedule {run.schedule_name!r}" if run.schedule_name else f"run {run.id}"


def failure_alert(run: FinishedRun) -> Alert:
    what = "timed out" if run.state is domain.RunState.TIMED_OUT else "failed"
    return Alert(
        event=RUN_FAILED,
        dedup_key=failure_key(run.id),
        org_id=run.org_id,
        schedule_id=run.schedule_id,
        run_id=run.id,
        occurred_at=run.finished_at,
        summary=f"{_what(run)}: run {run.id} {what} after {run.attempt} attempt(s)",
        details={
            "state": run.state.value,
            "scheduled_for": run.scheduled_for.isoformat(),
            "attempts": run.attempt,
            "workflow_id": run.workflow_id,
            "error": run.error,
            "reason": run.reason,
        },
    )


def recovery_alerts(
    finished: Iterable[FinishedRun], previous: Mapping[domain.ScheduleId, FinishedRun]
) -> list[Alert]:
    """A recovery for each succeeded run whose schedule's previous outcome (by finish time) was a
    final failure. ``previous`` holds each schedule's last outcome before ``finished`` begins."""
    last = dict(previous)
    alerts = []
    for run in sorted(finished, key=lambda r: r.order):
        if run.schedule_id is None or run.state not in OUTCOMES:
            continue
        before = last.get(run.schedule_id)
        last[run.schedule_id] = run
        if run.state is domain.RunState.SUCCEEDED and before and before.state in FINAL_FAILURES:
            alerts.append(
                Alert(
                    event=RUN_RECOVERED,
                    dedup_key=recovery_key(run.id),
                    org_id=run.org_id,
                    schedule_id=run.schedule_id,
                    run_id=run.id,
                    occurred_at=run.finished_at,
                    summary=f"{_what(run)} recovered: run {run.id} succeeded",
                    details={
                        "scheduled_for": run.scheduled_for.isoformat(),
                        "workflow_id": run.workflow_id,
                        "previous_run_id": before.id,
                        "previous_state": before.state.value,
                    },
                )
            )
    return alerts


def missed_alert(slot: LateSlot) -> Alert:
    why = {
        MissCause.SCHEDULER: "no scheduler wrote its run (are the schedulers down?)",
        MissCause.QUEUE: "its run is still waiting (are the workers down or full?)",
        MissCause.MISSED: "its run was marked missed",
    }[slot.cause]
    if slot.cause == MissCause.QUEUE and (slot.waiting_reason or "").startswith("waiting "):
        why = f"its run is still {slot.waiting_reason}"  # "waiting for a worker that can run..."
    what = f"the {slot.slot_at.isoformat()} slot did not start"
    if slot.count > 1 and slot.last_slot_at is not None:
        what = (
            f"{slot.count} slots from {slot.slot_at.isoformat()} to "
            f"{slot.last_slot_at.isoformat()} did not start"
        )
        why = "their runs were marked missed"
    return Alert(
        event=SCHEDULE_MISSED,
        dedup_key=missed_key(slot.schedule_id, slot.slot_at),
        org_id=slot.org_id,
        schedule_id=slot.schedule_id,
        run_id=slot.run_id,
        occurred_at=slot.due_at + slot.grace,
        summary=f"schedule {slot.schedule_name!r}: {what}: {why}",
        details={
            "slot": slot.slot_at.isoformat(),
            "slots": slot.count,
            "last_slot": (slot.last_slot_at or slot.slot_at).isoformat(),
            "cause": slot.cause,
            "grace_seconds": slot.grace.total_seconds(),
        },
    )


def alerts_for(
    finished: Sequence[FinishedRun],
    previous: Mapping[domain.ScheduleId, FinishedRun],
    late: Iterable[LateSlot],
    *,
    now: datetime,
) -> list[Alert]:
    """Every alert the facts call for, one per dedup key, in the order they happened.
    ``finished``: runs that succeeded or finally failed; missed runs come as ``late`` slots."""
    found: dict[tuple[int, str], Alert] = {}

    def add(alert: Alert) -> None:
        found.setdefault((alert.org_id, alert.dedup_key), alert)

    for run in finished:
        if run.state in FINAL_FAILURES:
            add(failure_alert(run))
    for alert in recovery_alerts(finished, previous):
        add(alert)
    for slot in late:
        if slot.is_late(now):
            add(missed_alert(slot))
    return sorted(found.values(), key=lambda a: (a.occurred_at, a.dedup_key))


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """At most ``max_alerts`` alerts per schedule and channel in each ``window`` (windows are
    aligned to the epoch, so every process agrees which one "now" is in); the rest of a window's
    alerts go out as one summary with their count when the window ends."""

    max_alerts: int = 5
    window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_alerts < 1 or self.window <= timedelta(0):
            raise ValueError("a rate limit needs max_alerts >= 1 and a positive window")

    def window_start(self, now: datetime) -> datetime:
        return _EPOCH + ((now - _EPOCH) // self.window) * self.window

    def window_end(self, now: datetime) -> datetime:
        return self.window_start(now) + self.window

    def admits(self, sent_in_window: int) -> bool:
        return sent_in_window < self.max_alerts


def coalesced_key(rate_key: str, window_start: datetime) -> str:
    return f"coalesced:{rate_key}:{window_start.astimezone(UTC).isoformat()}"


def coalesced_payload(
    org_id: domain.OrganizationId,
    schedule_id: domain.ScheduleId,
    rate: RateLimit,
    *,
    window_start: datetime,
) -> domain.JsonObject:
    """The summary of the alerts a window held back; the store adds their count and ids when
    it is sent, at the window's end, so it counts them all."""
    window_end = window_start + rate.window
    return {
        "id": coalesced_key(f"schedule:{schedule_id}", window_start),
        "event": COALESCED,
        "occurred_at": window_end.isoformat(),
        "organization_id": org_id,
        "schedule_id": schedule_id,
        "run_id": None,
        "summary": f"schedule {schedule_id}: alerts held back by the rate limit",
        "details": {
            "count": 0,
            "events": {},
            "alert_ids": [],
            "max_alerts": rate.max_alerts,
            "window_start": window_start.isoformat(),
            "window_end": window_end.isoformat(),
        },
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryPolicy:
    """How often a delivery is tried: attempt ``n`` failing waits ``initial * factor ** (n-1)``
    (capped) before the next; after ``max_attempts`` the delivery is ``failed``. No jitter: a
    channel's retries are few and spreading them buys nothing."""

    max_attempts: int = 5
    initial: timedelta = timedelta(seconds=10)
    factor: float = 3.0
    maximum: timedelta = timedelta(minutes=30)

    def next_attempt_at(self, attempts: int, now: datetime) -> datetime | None:
        """After ``attempts`` failed attempts: when to try again, or None to give up."""
        if attempts >= self.max_attempts:
            return None
        policy = backoff.BackoffPolicy(
            max_attempts=self.max_attempts,
            initial=self.initial,
            factor=self.factor,
            maximum=self.maximum,
        )
        return now + policy.ceiling(attempts)
