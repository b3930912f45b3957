"""What a claimable run of a schedule does while other runs of the same schedule are not done.

The worker asks this at claim time, holding the schedule's limit lock, with every pending or
running sibling of the candidate. Siblings fall in two groups:

- *in progress*: running, or pending after a failed attempt (waiting out its retry backoff): the
  previous slot has not finished yet;
- *waiting*: pending, never attempted, for an earlier slot: queued ahead of the candidate.

Decisions per policy:

- ``allow``: run.
- ``skip``: skipped while anything is in progress, saying what it is doing ("previous run N still
  running", "... waiting to retry after attempt K failed", "... lost its worker (lease expired);
  it will be retried").
- ``buffer_one``: at most one run waits. Behind an in-progress run the first newcomer waits and
  later ones are skipped while it waits; with nothing in progress an earlier waiting run goes first.
- ``buffer_all``: wait while anything is in progress or waiting ahead: slots run one at a time, in
  order.
- ``cancel_previous``: cancel the running siblings and run. A candidate that a newer due sibling
  already supersedes is skipped, so that an old slot never cancels a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cronwright import domain


@dataclass(frozen=True, slots=True, kw_only=True)
class Sibling:
    """Another pending or running run of the candidate's schedule."""

    id: domain.RunId
    state: domain.RunState
    scheduled_for: datetime
    available_at: datetime
    attempt: int  # attempts started so far
    lease_expires_at: datetime | None = None  # of a running one: past it, its worker is gone

    @property
    def in_progress(self) -> bool:
        return self.state is domain.RunState.RUNNING or (
            self.state is domain.RunState.PENDING and self.attempt > 0
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    id: domain.RunId
    scheduled_for: datetime


class Verdict(StrEnum):
    RUN = "run"
    WAIT = "wait"  # stay pending; claimable again once the siblings move on
    SKIP = "skip"  # terminal: skipped, with the reason


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapDecision:
    verdict: Verdict
    reason: str | None = None
    cancel: tuple[domain.RunId, ...] = field(default=())  # running siblings to cancel first


RUN = OverlapDecision(verdict=Verdict.RUN)
WAIT = OverlapDecision(verdict=Verdict.WAIT)


def decide(
    policy: domain.OverlapPolicy,
    candidate: Candidate,
    siblings: Sequence[Sibling],
    *,
    now: datetime,
) -> OverlapDecision:
    others = [s for s in siblings if s.id != candidate.id]
    in_progress = sorted((s for s in others if s.in_progress), key=_slot_order)
    waiting_ahead = sorted(
        (s for s in others if not s.in_progress and _slot_order(s) < _key(candidate)),
        key=_slot_order,
    )
    match policy:
        case domain.OverlapPolicy.ALLOW:
            return RUN
        case domain.OverlapPolicy.SKIP:
            if in_progress:
                return _skip(_in_progress_reason(in_progress[-1], now))
            return RUN
        case domain.OverlapPolicy.BUFFER_ONE:
            if in_progress and waiting_ahead:
                return _skip(
                    f"run {waiting_ahead[0].id} is already waiting for "
                    f"run {in_progress[-1].id} to finish"
                )
            return WAIT if in_progress or waiting_ahead else RUN
        case domain.OverlapPolicy.BUFFER_ALL:
            return WAIT if in_progress or waiting_ahead else RUN
        case domain.OverlapPolicy.CANCEL_PREVIOUS:
            newer = [
                s
                for s in others
                if _slot_order(s) > _key(candidate) and (s.in_progress or s.available_at <= now)
            ]
            if newer:
                return _skip(f"superseded by run {min(newer, key=_slot_order).id}")
            running = tuple(s.id for s in in_progress if s.state is domain.RunState.RUNNING)
            return OverlapDecision(verdict=Verdict.RUN, cancel=running)
    raise AssertionError(f"unknown overlap policy {policy!r}")


def _in_progress_reason(previous: Sibling, now: datetime) -> str:
    """What the previous run is really doing, in words: the true reason for a skip."""
    if previous.state is domain.RunState.PENDING:
        return (
            f"previous run {previous.id} waiting to retry after attempt {previous.attempt} failed"
        )
    if previous.lease_expires_at is not None and previous.lease_expires_at < now:
        return f"previous run {previous.id} lost its worker (lease expired); it will be retried"
    return f"previous run {previous.id} still running"


def _skip(reason: str) -> OverlapDecision:
    return OverlapDecision(verdict=Verdict.SKIP, reason=reason)


def _slot_order(sibling: Sibling) -> tuple[datetime, int]:
    return (sibling.scheduled_for, sibling.id)


def _key(candidate: Candidate) -> tuple[datetime, int]:
    return (candidate.scheduled_for, candidate.id)
