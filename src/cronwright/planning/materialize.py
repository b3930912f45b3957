"""The plan for one schedule in one materialisation: the runs to write for its slots up to
``until``, and where its ``next_fire_at`` moves to."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright import domain
from cronwright.planning import catchup, jitter
from cronwright.planning.slots import Cadence

DEFAULT_MAX_SLOTS_PER_SCHEDULE = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedRun:
    scheduled_for: datetime
    available_at: datetime
    state: domain.RunState  # PENDING or MISSED
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulePlan:
    runs: tuple[PlannedRun, ...]
    next_fire_at: datetime | None  # None when the schedule can never fire again
    capped: bool = False  # slots up to ``until`` remain: the schedule is still due


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotPlanner:
    """Plans a schedule's slots from its ``next_fire_at`` up to ``until``.

    At most ``max_slots`` slots are planned per call, so a long outage of a per-second schedule
    is written in several transactions; ``next_fire_at`` then stops at the first slot left out.
    """

    catchup: catchup.CatchupSettings = field(default_factory=catchup.CatchupSettings)
    max_slots: int = DEFAULT_MAX_SLOTS_PER_SCHEDULE

    def __call__(
        self, schedule: domain.Schedule, *, now: datetime, until: datetime
    ) -> SchedulePlan:
        return self.plan(schedule, now=now, until=until)

    def plan(self, schedule: domain.Schedule, *, now: datetime, until: datetime) -> SchedulePlan:
        if schedule.next_fire_at is None:
            return SchedulePlan(runs=(), next_fire_at=None)
        # Enough slots past the cap to make the catch-up decisions of those kept final.
        wanted = self.max_slots + self.catchup.max_catchup_runs + 1
        window, after_until = _window(
            Cadence.of_schedule(schedule), schedule.next_fire_at, until, wanted
        )
        decisions = catchup.decide(
            window, now=now, rule=catchup.CatchupRule.of(schedule.spec), settings=self.catchup
        )[: self.max_slots]
        capped = len(window) > self.max_slots
        next_fire_at = window[self.max_slots] if capped else after_until
        runs = []
        for index, decision in enumerate(decisions):
            following = window[index + 1] if index + 1 < len(window) else next_fire_at
            runs.append(
                PlannedRun(
                    scheduled_for=decision.scheduled_for,
                    available_at=jitter.available_at(
                        hash_key=schedule.hash_key,
                        scheduled_for=decision.scheduled_for,
                        # A missed slot is born finished: nothing will ever claim it.
                        jitter=schedule.spec.jitter if decision.runs else timedelta(0),
                        next_slot_at=following,
                    ),
                    state=decision.state,
                    reason=decision.reason,
                )
            )
        return SchedulePlan(runs=tuple(runs), next_fire_at=next_fire_at, capped=capped)


_Window = tuple[tuple[datetime, ...], datetime | None]
_WINDOWS_KEPT = 1024
_SLOTS_KEPT = 64  # longer windows (catching up after an outage) are rare: not kept
_windows: OrderedDict[tuple[Cadence, datetime, datetime, int], _Window] = OrderedDict()
_windows_lock = threading.Lock()


def _window(cadence: Cadence, first: datetime, until: datetime, count: int) -> _Window:
    """At most ``count`` slots in ``[first, until]``, and the first slot after ``until``.

    Kept for the next schedules of a tick: schedules that share an expression, zone and
    policies (a fleet's ``0 * * * *``) and were due at the same time have the same slots, so
    a tick computes them once rather than once per schedule."""
    key = (cadence, first, until, count)
    with _windows_lock:
        found = _windows.get(key)
        if found is not None:
            _windows.move_to_end(key)
            return found
    slots = tuple(itertools.islice(cadence.slots_from(first, until=until), count))
    found = (slots, cadence.next_fire_at(after=until))
    if len(slots) <= _SLOTS_KEPT:
        with _windows_lock:
            _windows[key] = found
            if len(_windows) > _WINDOWS_KEPT:
                _windows.popitem(last=False)
    return found
