"""What becomes of each slot of one materialisation: run it (``pending``) or record it
``missed``, following the schedule's catch-up policy. Backfills go through the same code.

A slot is *late* when it is older than ``now - late_tolerance``: a tick that comes a few seconds
late is not an outage, so its slots run as usual. Late slots follow the policy:

- ``none``: every late slot is missed;
- ``latest``: the newest late slot runs, the older ones are missed;
- ``all``: late slots inside ``catchup_window`` run, at most ``max_catchup_runs`` of them (the
  newest are kept), the rest are missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronwright import domain

DEFAULT_LATE_TOLERANCE = timedelta(seconds=30)
DEFAULT_MAX_CATCHUP_RUNS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchupSettings:
    late_tolerance: timedelta = DEFAULT_LATE_TOLERANCE
    max_catchup_runs: int = DEFAULT_MAX_CATCHUP_RUNS  # per schedule, under policy ``all``

    def __post_init__(self) -> None:
        if self.late_tolerance < timedelta(0):
            raise ValueError("late_tolerance must not be negative")
        if self.max_catchup_runs < 1:
            raise ValueError("max_catchup_runs must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchupRule:
    """A schedule's own catch-up choice."""

    policy: domain.CatchupPolicy
    window: timedelta

    @classmethod
    def of(cls, spec: domain.ScheduleSpec) -> CatchupRule:
        return cls(policy=spec.catchup, window=spec.catchup_window)


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotDecision:
    scheduled_for: datetime
    state: domain.RunState  # PENDING or MISSED
    reason: str | None = None  # why a slot is missed, for people reading the run history

    @property
    def runs(self) -> bool:
        return self.state is domain.RunState.PENDING


def decide(
    slots: Sequence[datetime],
    *,
    now: datetime,
    rule: CatchupRule,
    settings: CatchupSettings = CatchupSettings(),
) -> list[SlotDecision]:
    """One decision per slot of ``slots`` (ascending), in the same order.

    The decisions for a prefix of a longer run of slots are already final once ``slots`` holds
    ``max_catchup_runs + 1`` further slots (or all remaining ones): slots only grow newer, so
    what lies beyond cannot change which late slots are the newest.
    """
    late_before = now - settings.late_tolerance
    late = [at for at in slots if at < late_before]
    kept = _late_slots_kept(late, now=now, rule=rule, settings=settings)
    decisions = []
    for at in slots:
        if at >= late_before or at in kept:
            decisions.append(SlotDecision(scheduled_for=at, state=domain.RunState.PENDING))
        else:
            reason = missed_reason(at, now=now, rule=rule, settings=settings)
            decisions.append(
                SlotDecision(scheduled_for=at, state=domain.RunState.MISSED, reason=reason)
            )
    return decisions


def _late_slots_kept(
    late: Sequence[datetime], *, now: datetime, rule: CatchupRule, settings: CatchupSettings
) -> frozenset[datetime]:
    if not late or rule.policy is domain.CatchupPolicy.NONE:
        return frozenset()
    if rule.policy is domain.CatchupPolicy.LATEST:
        return frozenset(late[-1:])
    in_window = [at for at in late if at >= now - rule.window]
    return frozenset(in_window[-settings.max_catchup_runs :])


def missed_reason(
    at: datetime, *, now: datetime, rule: CatchupRule, settings: CatchupSettings
) -> str:
    """Say which rule dropped the late slot ``at``, in words."""
    why = {
        domain.CatchupPolicy.NONE: "catch-up policy 'none' runs no late slot",
        domain.CatchupPolicy.LATEST: "catch-up policy 'latest' runs only the newest late slot",
    }.get(rule.policy)
    if why is None:
        if at < now - rule.window:
            why = f"older than the catch-up window of {_duration(rule.window)}"
        else:
            why = f"catch-up policy 'all' runs at most the {settings.max_catchup_runs} newest"
            why += " late slots"
    return f"missed: the scheduler was not running at {_instant(at)} ({why})"


def _instant(at: datetime) -> str:
    text = at.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{span.total_seconds():g} seconds"
