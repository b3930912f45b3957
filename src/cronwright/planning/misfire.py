"""Misfire: a run that could not start in time is recorded as ``missed`` instead of running late.

Rule. A run's lateness is measured from the instant it became *runnable*:

- normally ``available_at``: the slot plus its jitter (jitter is a delay we chose, not lateness);
- for ``buffer_one``/``buffer_all`` schedules, the later of that and the moment the previous run
  of the schedule finished: a run held back by its own overlap policy was not late while it waited.

A run that would start later than ``runnable_since + misfire_grace`` is missed: the delay came from
the system (scheduler or workers down, queue backed up, concurrency limits full). Only the first
attempt of a ``schedule`` run can miss: manual runs and backfills were asked for explicitly, and
a retry's delay is the backoff we chose.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cronwright import domain

_HELD_BACK_BY_POLICY = frozenset({domain.OverlapPolicy.BUFFER_ONE, domain.OverlapPolicy.BUFFER_ALL})


def runnable_since(
    *,
    available_at: datetime,
    overlap: domain.OverlapPolicy,
    previous_finished_at: datetime | None,
) -> datetime:
    """When the run could first have started (see the module's rule)."""
    if overlap in _HELD_BACK_BY_POLICY and previous_finished_at is not None:
        return max(available_at, previous_finished_at)
    return available_at


def missed_reason(
    *,
    trigger: domain.Trigger,
    attempt: int,
    runnable_at: datetime,
    grace: timedelta,
    now: datetime,
) -> str | None:
    """Why a run starting at ``now`` is missed, or None if it may still run."""
    if trigger is not domain.Trigger.SCHEDULE or attempt > 0:
        return None
    late = now - runnable_at
    if late <= grace:
        return None
    return f"started {_seconds(late)} late, beyond the misfire grace of {_seconds(grace)}"


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():g} s"
