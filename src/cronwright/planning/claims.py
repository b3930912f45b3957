"""Which of a claim's candidates start, which end skipped or missed, which siblings are cancelled.

The run queue reads everything a claim needs (the candidates, oldest first; their schedules'
settings and siblings; the running counts and the limits), hands it to :func:`decide`, and writes
the decision. Candidates are judged one by one, in order:

1. A candidate whose quota (``limit`` for runs due now, ``ahead_limit`` for runs claimed ahead)
   is used up is left alone.
2. Overlap (:func:`cronwright.planning.overlap.decide`, every policy but ``allow``): ``wait``
   leaves it pending; ``skip`` ends it skipped.
3. A run claimed ahead must be free to start now: one that would be skipped, kept waiting or
   cancel a running sibling stays pending, to be judged at its time like any other run. Misfire
   cannot apply before its time either.
4. Misfire (:mod:`cronwright.planning.misfire`) ends a late run missed.
5. A full global limit ends the claim; a full organization leaves its run pending while the
   runs of other organizations go on.
6. It starts, after cancelling the running siblings its overlap policy cancels. Its claim and
   the cancels move the counts and the siblings the later candidates are judged against.

The claim ends once ``room`` runs have started.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright import domain
from cronwright.planning import misfire, overlap

_BUFFERED = frozenset({domain.OverlapPolicy.BUFFER_ONE, domain.OverlapPolicy.BUFFER_ALL})


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A pending run the claim may start, as read."""

    id: domain.RunId
    org_id: domain.OrganizationId
    schedule_id: domain.ScheduleId | None
    scheduled_for: datetime
    available_at: datetime
    trigger: domain.Trigger
    attempt: int  # attempts started so far


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSettings:
    """What a schedule says about claiming its runs."""

    policy: domain.OverlapPolicy
    misfire_grace: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish:
    """A run of a schedule that started and has a ``finished_at``."""

    run_id: domain.RunId
    finished_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    org_max: Mapping[domain.OrganizationId, int]  # max_concurrent_runs of each candidate's org
    global_limit: int | None
    limit: int  # runs due now
    ahead_limit: int  # runs claimed ahead
    room: int  # starts in all (see :func:`room`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Start:
    run_id: domain.RunId
    ahead: bool  # claimed ahead: it starts at its ``available_at``


@dataclass(frozen=True, slots=True, kw_only=True)
class End:
    run_id: domain.RunId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel:
    run_id: domain.RunId  # a running sibling
    by_run_id: domain.RunId  # the candidate whose start cancels it


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimDecision:
    started: tuple[Start, ...] = ()  # in candidate order
    skipped: tuple[End, ...] = ()
    missed: tuple[End, ...] = ()
    cancelled: tuple[Cancel, ...] = ()


def room(*, limit: int, ahead_limit: int, process_capacity: int | None, own_running: int) -> int:
    """How many runs one claim may start: its quotas, capped by what the process has left."""
    total = limit + ahead_limit
    if process_capacity is None:
        return total
    return min(total, process_capacity - own_running)


def needs_finishes(
    candidates: Iterable[Candidate],
    *,
    schedules: Mapping[domain.ScheduleId, ScheduleSettings],
    siblings: Mapping[domain.ScheduleId, Sequence[overlap.Sibling]],
    now: datetime,
) -> set[domain.ScheduleId]:
    """The schedules whose latest :class:`Finish` entries :func:`decide` may need.

    Only a ``buffer_one``/``buffer_all`` run due now that overlap lets run measures its lateness
    from the previous finish. Overlap lets none run while a sibling is in progress (but the run
    itself: a retry, which misfire never judges), and no decision of the claim ends the last one
    in progress (a start keeps it so, a retry is never missed, a skip needs another one in
    progress). So a schedule with a long-running run costs no read of its history per claim."""
    needed: set[domain.ScheduleId] = set()
    for candidate in candidates:
        schedule_id = candidate.schedule_id
        if schedule_id is None or schedule_id in needed:
            continue
        settings = schedules.get(schedule_id)
        if (
            settings is not None
            and settings.policy in _BUFFERED
            and candidate.available_at <= now
            and not any(s.in_progress for s in siblings.get(schedule_id, ()))
        ):
            needed.add(schedule_id)
    return needed


def decide(
    candidates: Sequence[Candidate],
    *,
    schedules: Mapping[domain.ScheduleId, ScheduleSettings],
    siblings: Mapping[domain.ScheduleId, Sequence[overlap.Sibling]],
    finishes: Mapping[domain.ScheduleId, Sequence[Finish]],
    running: Mapping[domain.OrganizationId, int],
    limits: Limits,
    now: datetime,
) -> ClaimDecision:
    """Judge ``candidates`` in order (see the module's steps).

    ``siblings``: the pending and running runs (the candidates among them) of each schedule whose
    policy is not ``allow``. ``finishes``: at least the two latest of each schedule in
    :func:`needs_finishes` (two, so that the latest other than the candidate is among them).
    ``running``: running runs per organization."""
    if limits.room <= 0:
        return ClaimDecision()
    judge = _Judge(limits=limits, schedules=schedules, finishes=finishes, now=now)
    judge.running.update(running)
    judge.running_total = sum(running.values())
    judge.siblings.update({schedule_id: list(runs) for schedule_id, runs in siblings.items()})
    for candidate in candidates:
        if not judge.consider(candidate):
            break
    return judge.decision()


@dataclass(slots=True, kw_only=True)
class _Judge:
    """The claim so far: what was decided, and the counts and siblings it has moved."""

    limits: Limits
    schedules: Mapping[domain.ScheduleId, ScheduleSettings]
    finishes: Mapping[domain.ScheduleId, Sequence[Finish]]
    now: datetime
    running: Counter[domain.OrganizationId] = field(default_factory=Counter)
    siblings: dict[domain.ScheduleId, list[overlap.Sibling]] = field(default_factory=dict)
    started: list[Start] = field(default_factory=list)
    skipped: list[End] = field(default_factory=list)
    missed: list[End] = field(default_factory=list)
    cancelled: list[Cancel] = field(default_factory=list)
    running_total: int = 0
    started_now: int = 0
    started_ahead: int = 0

    def decision(self) -> ClaimDecision:
        return ClaimDecision(
            started=tuple(self.started),
            skipped=tuple(self.skipped),
            missed=tuple(self.missed),
            cancelled=tuple(self.cancelled),
        )

    def consider(self, candidate: Candidate) -> bool:
        """Decide one candidate; False once the claim must stop."""
        ahead = candidate.available_at > self.now
        if self._quota_used(ahead=ahead):
            return True
        settings = self._settings(candidate)
        verdict = self._overlap(candidate, settings)
        if verdict.verdict is overlap.Verdict.WAIT:
            return True
        if ahead and (verdict.verdict is not overlap.Verdict.RUN or verdict.cancel):
            return True  # judged at its time, against the siblings of then
        if verdict.verdict is overlap.Verdict.SKIP:
            assert verdict.reason is not None
            self._end(self.skipped, candidate, verdict.reason)
            return True
        late = None if ahead or settings is None else self._missed_reason(candidate, settings)
        if late is not None:
            self._end(self.missed, candidate, late)
            return True
        if self._global_full():
            return False  # every later candidate would break it too
        if self.running[candidate.org_id] >= self.limits.org_max[candidate.org_id]:
            return True  # stays pending; this organization is full, others may go on
        self._start(candidate, ahead=ahead, cancel=verdict.cancel)
        return len(self.started) < self.limits.room

    def _quota_used(self, *, ahead: bool) -> bool:
        if ahead:
            return self.started_ahead >= self.limits.ahead_limit
        return self.started_now >= self.limits.limit

    def _settings(self, candidate: Candidate) -> ScheduleSettings | None:
        return None if candidate.schedule_id is None else self.schedules.get(candidate.schedule_id)

    def _overlap(
        self, candidate: Candidate, settings: ScheduleSettings | None
    ) -> overlap.OverlapDecision:
        # ``allow`` runs whatever its siblings do: no need to decide, nor to track them.
        if settings is None or settings.policy is domain.OverlapPolicy.ALLOW:
            return overlap.RUN
        assert candidate.schedule_id is not None
        return overlap.decide(
            settings.policy,
            overlap.Candidate(id=candidate.id, scheduled_for=candidate.scheduled_for),
            self.siblings[candidate.schedule_id],
            now=self.now,
        )

    def _missed_reason(self, candidate: Candidate, settings: ScheduleSettings) -> str | None:
        since = misfire.runnable_since(
            available_at=candidate.available_at,
            overlap=settings.policy,
            previous_finished_at=self._previous_finished_at(candidate),
        )
        return misfire.missed_reason(
            trigger=candidate.trigger,
            attempt=candidate.attempt,
            runnable_at=since,
            grace=settings.misfire_grace,
            now=self.now,
        )

    def _previous_finished_at(self, candidate: Candidate) -> datetime | None:
        """The latest finish of another run of the candidate's schedule."""
        if candidate.schedule_id is None:
            return None
        finishes = self.finishes.get(candidate.schedule_id, ())
        return max((f.finished_at for f in finishes if f.run_id != candidate.id), default=None)

    def _global_full(self) -> bool:
        limit = self.limits.global_limit
        return limit is not None and self.running_total >= limit

    def _end(self, ended: list[End], candidate: Candidate, reason: str) -> None:
        ended.append(End(run_id=candidate.id, reason=reason))
        self._replace_sibling(candidate, None)

    def _start(self, candidate: Candidate, *, ahead: bool, cancel: Sequence[domain.RunId]) -> None:
        for run_id in cancel:
            self.cancelled.append(Cancel(run_id=run_id, by_run_id=candidate.id))
            self.running[candidate.org_id] -= 1  # a sibling: the same schedule, the same org
            self.running_total -= 1
            self._drop_sibling(candidate.schedule_id, run_id)
        self.started.append(Start(run_id=candidate.id, ahead=ahead))
        if ahead:
            self.started_ahead += 1
        else:
            self.started_now += 1
        self.running[candidate.org_id] += 1
        self.running_total += 1
        self._replace_sibling(candidate, _as_running(candidate))

    def _replace_sibling(self, candidate: Candidate, new: overlap.Sibling | None) -> None:
        """Forget the candidate as a pending sibling; ``new``: what it is now, if still a
        sibling (claimed: running)."""
        runs = self._drop_sibling(candidate.schedule_id, candidate.id)
        if runs is not None and new is not None:
            runs.append(new)

    def _drop_sibling(
        self, schedule_id: domain.ScheduleId | None, run_id: domain.RunId
    ) -> list[overlap.Sibling] | None:
        if schedule_id is None or schedule_id not in self.siblings:
            return None  # not a schedule whose siblings are tracked
        runs = [s for s in self.siblings[schedule_id] if s.id != run_id]
        self.siblings[schedule_id] = runs
        return runs


def _as_running(candidate: Candidate) -> overlap.Sibling:
    return overlap.Sibling(
        id=candidate.id,
        state=domain.RunState.RUNNING,
        scheduled_for=candidate.scheduled_for,
        available_at=candidate.available_at,
        attempt=candidate.attempt + 1,
    )
