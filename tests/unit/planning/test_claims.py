from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from cronwright import domain
from cronwright.planning import claims
from cronwright.planning.overlap import Sibling

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
GRACE = 5 * MINUTE
Policy = domain.OverlapPolicy
State = domain.RunState
Trigger = domain.Trigger
ORG_A, ORG_B = domain.OrganizationId(1), domain.OrganizationId(2)
SCHEDULE = domain.ScheduleId(7)
OTHER_SCHEDULE = domain.ScheduleId(8)


def candidate(
    run_id: int,
    *,
    org: domain.OrganizationId = ORG_A,
    schedule: domain.ScheduleId | None = None,
    minutes: float = 0,  # available_at - NOW: negative is due, positive is ahead
    slot: float | None = None,  # scheduled_for - NOW; default: available_at
    trigger: Trigger = Trigger.SCHEDULE,
    attempt: int = 0,
) -> claims.Candidate:
    return claims.Candidate(
        id=domain.RunId(run_id),
        org_id=org,
        schedule_id=schedule,
        scheduled_for=NOW + (minutes if slot is None else slot) * MINUTE,
        available_at=NOW + minutes * MINUTE,
        trigger=trigger,
        attempt=attempt,
    )


def running(run_id: int, *, slot: float = -30) -> Sibling:
    at = NOW + slot * MINUTE
    return Sibling(
        id=domain.RunId(run_id), state=State.RUNNING, scheduled_for=at, available_at=at, attempt=1
    )


def pending(run: claims.Candidate) -> Sibling:
    return Sibling(
        id=run.id,
        state=State.PENDING,
        scheduled_for=run.scheduled_for,
        available_at=run.available_at,
        attempt=run.attempt,
    )


def settings(policy: Policy, grace: timedelta = GRACE) -> claims.ScheduleSettings:
    return claims.ScheduleSettings(policy=policy, misfire_grace=grace)


def decide(
    candidates: Sequence[claims.Candidate],
    *,
    schedules: Mapping[domain.ScheduleId, claims.ScheduleSettings] | None = None,
    also_running: Mapping[domain.ScheduleId, Sequence[Sibling]] | None = None,
    finishes: Mapping[domain.ScheduleId, Sequence[claims.Finish]] | None = None,
    running_by_org: Mapping[domain.OrganizationId, int] | None = None,
    org_max: int = 10,
    global_limit: int | None = None,
    limit: int = 10,
    ahead_limit: int = 0,
    room: int | None = None,
) -> claims.ClaimDecision:
    """Decide as the run queue does: every schedule not ``allow`` has its siblings, the pending
    candidates among them."""
    schedules = schedules or {}
    siblings = {
        schedule_id: [pending(c) for c in candidates if c.schedule_id == schedule_id]
        + list((also_running or {}).get(schedule_id, ()))
        for schedule_id, found in schedules.items()
        if found.policy is not Policy.ALLOW
    }
    return claims.decide(
        candidates,
        schedules=schedules,
        siblings=siblings,
        finishes=finishes or {},
        running=running_by_org or {},
        limits=claims.Limits(
            org_max={ORG_A: org_max, ORG_B: org_max},
            global_limit=global_limit,
            limit=limit,
            ahead_limit=ahead_limit,
            room=limit + ahead_limit if room is None else room,
        ),
        now=NOW,
    )


def started(decision: claims.ClaimDecision) -> list[domain.RunId]:
    return [start.run_id for start in decision.started]


def ended(ends: Sequence[claims.End]) -> list[tuple[int, str]]:
    return [(end.run_id, end.reason) for end in ends]


def start(run_id: int, *, ahead: bool = False) -> claims.Start:
    return claims.Start(run_id=domain.RunId(run_id), ahead=ahead)


# -- limits -----------------------------------------------------------------------------------


def test_runs_start_in_candidate_order_up_to_the_limit() -> None:
    decision = decide([candidate(n, minutes=-n) for n in (4, 3, 2, 1)], limit=3)
    assert decision == claims.ClaimDecision(started=(start(4), start(3), start(2)))


def test_room_is_the_quotas_capped_by_what_the_process_has_left() -> None:
    assert claims.room(limit=3, ahead_limit=2, process_capacity=None, own_running=9) == 5
    assert claims.room(limit=3, ahead_limit=2, process_capacity=4, own_running=3) == 1
    assert claims.room(limit=3, ahead_limit=2, process_capacity=4, own_running=6) == -2


def test_a_process_with_little_room_starts_only_that_many() -> None:
    assert started(decide([candidate(n) for n in (1, 2, 3)], limit=3, room=2)) == [1, 2]


def test_no_room_decides_nothing_at_all() -> None:
    late = candidate(1, schedule=SCHEDULE, minutes=-60)
    decision = decide([late, candidate(2)], schedules={SCHEDULE: settings(Policy.ALLOW)}, room=0)
    assert decision == claims.ClaimDecision()


def test_a_full_organization_keeps_its_runs_pending_while_others_go_on() -> None:
    runs = [
        candidate(1, org=ORG_A),
        candidate(2, org=ORG_A),
        candidate(3, org=ORG_B),
        candidate(4, org=ORG_A),
        candidate(5, org=ORG_B),
    ]
    decision = decide(runs, running_by_org={ORG_A: 1}, org_max=2)
    assert started(decision) == [1, 3, 5]


def test_an_organization_over_its_maximum_starts_nothing() -> None:
    decision = decide([candidate(1, org=ORG_A)], running_by_org={ORG_A: 5}, org_max=2)
    assert decision == claims.ClaimDecision()


def test_a_full_global_limit_ends_the_claim_and_later_runs_are_not_judged() -> None:
    runs = [
        candidate(1, org=ORG_A),
        candidate(2, org=ORG_B),
        candidate(3, org=ORG_B),  # global limit reached: the claim stops here
        candidate(4, org=ORG_B, schedule=SCHEDULE, minutes=1, slot=-60),  # would be missed
    ]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.ALLOW)},
        running_by_org={ORG_A: 1},
        global_limit=3,
    )
    assert decision == claims.ClaimDecision(started=(start(1), start(2)))


def test_runs_before_the_global_stop_are_still_skipped_or_missed() -> None:
    # Overlap and misfire come before the limits: a run that cannot start anyway is ended even
    # when the limit is full; the first run that could start ends the claim.
    late = candidate(1, schedule=OTHER_SCHEDULE, minutes=-60)
    blocked = candidate(2, schedule=SCHEDULE, minutes=-1)
    decision = decide(
        [late, blocked, candidate(3), candidate(4, schedule=SCHEDULE)],
        schedules={SCHEDULE: settings(Policy.SKIP), OTHER_SCHEDULE: settings(Policy.ALLOW)},
        also_running={SCHEDULE: [running(100)]},
        running_by_org={ORG_A: 2},
        global_limit=2,
    )
    assert decision == claims.ClaimDecision(
        skipped=(claims.End(run_id=domain.RunId(2), reason="previous run 100 still running"),),
        missed=(
            claims.End(
                run_id=domain.RunId(1),
                reason="started 3600 s late, beyond the misfire grace of 300 s",
            ),
        ),
    )


# -- overlap ----------------------------------------------------------------------------------


def test_skip_ends_a_run_whose_previous_run_is_running_and_the_others_go_on() -> None:
    runs = [candidate(1, schedule=SCHEDULE), candidate(2)]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.SKIP)},
        also_running={SCHEDULE: [running(100)]},
    )
    assert started(decision) == [2]
    assert ended(decision.skipped) == [(1, "previous run 100 still running")]


def test_skip_sees_a_run_this_claim_started_as_running() -> None:
    runs = [candidate(1, schedule=SCHEDULE, minutes=-2), candidate(2, schedule=SCHEDULE)]
    decision = decide(runs, schedules={SCHEDULE: settings(Policy.SKIP)})
    assert started(decision) == [1]
    assert ended(decision.skipped) == [(2, "previous run 1 still running")]


def test_buffer_all_keeps_a_run_waiting_untouched() -> None:
    decision = decide(
        [candidate(1, schedule=SCHEDULE)],
        schedules={SCHEDULE: settings(Policy.BUFFER_ALL)},
        also_running={SCHEDULE: [running(100)]},
    )
    assert decision == claims.ClaimDecision()


def test_buffer_all_starts_one_slot_and_keeps_the_next_waiting() -> None:
    runs = [candidate(1, schedule=SCHEDULE, minutes=-2), candidate(2, schedule=SCHEDULE)]
    decision = decide(runs, schedules={SCHEDULE: settings(Policy.BUFFER_ALL)})
    assert decision == claims.ClaimDecision(started=(start(1),))


def test_buffer_one_keeps_the_first_waiting_and_skips_the_rest() -> None:
    runs = [
        candidate(1, schedule=SCHEDULE, minutes=-3),
        candidate(2, schedule=SCHEDULE, minutes=-2),
        candidate(3, schedule=SCHEDULE, minutes=-1),
    ]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.BUFFER_ONE)},
        also_running={SCHEDULE: [running(100)]},
    )
    assert decision.started == ()
    assert ended(decision.skipped) == [
        (2, "run 1 is already waiting for run 100 to finish"),
        (3, "run 1 is already waiting for run 100 to finish"),
    ]


def test_cancel_previous_cancels_the_running_siblings_and_frees_their_places() -> None:
    runs = [candidate(1, schedule=SCHEDULE), candidate(2), candidate(3)]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.CANCEL_PREVIOUS)},
        also_running={SCHEDULE: [running(100, slot=-60), running(101)]},
        running_by_org={ORG_A: 2},
        org_max=3,
    )
    # 2 running - 2 cancelled + run 1 + run 2 = 2; run 3 makes 3, the maximum.
    assert started(decision) == [1, 2, 3]
    assert decision.cancelled == (
        claims.Cancel(run_id=domain.RunId(100), by_run_id=domain.RunId(1)),
        claims.Cancel(run_id=domain.RunId(101), by_run_id=domain.RunId(1)),
    )


def test_a_cancel_previous_run_of_a_full_organization_stays_pending_and_cancels_nothing() -> None:
    # The organization's limit is checked before the cancels that would free a place.
    decision = decide(
        [candidate(1, schedule=SCHEDULE)],
        schedules={SCHEDULE: settings(Policy.CANCEL_PREVIOUS)},
        also_running={SCHEDULE: [running(100)]},
        running_by_org={ORG_A: 1},
        org_max=1,
    )
    assert decision == claims.ClaimDecision()


def test_cancel_previous_skips_an_old_slot_a_newer_due_one_supersedes() -> None:
    runs = [candidate(1, schedule=SCHEDULE, minutes=-2), candidate(2, schedule=SCHEDULE)]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.CANCEL_PREVIOUS)},
        also_running={SCHEDULE: [running(100)]},
    )
    assert ended(decision.skipped) == [(1, "superseded by run 2")]
    assert started(decision) == [2]
    assert decision.cancelled == (
        claims.Cancel(run_id=domain.RunId(100), by_run_id=domain.RunId(2)),
    )


# -- misfire ----------------------------------------------------------------------------------


def test_a_scheduled_run_later_than_its_grace_is_missed_and_the_others_go_on() -> None:
    runs = [candidate(1, schedule=SCHEDULE, minutes=-10), candidate(2, schedule=SCHEDULE)]
    decision = decide(runs, schedules={SCHEDULE: settings(Policy.ALLOW)})
    assert ended(decision.missed) == [(1, "started 600 s late, beyond the misfire grace of 300 s")]
    assert started(decision) == [2]


def test_manual_runs_and_retries_are_never_missed() -> None:
    runs = [
        candidate(1, schedule=SCHEDULE, minutes=-60, trigger=Trigger.MANUAL),
        candidate(2, schedule=SCHEDULE, minutes=-60, attempt=1),
    ]
    decision = decide(runs, schedules={SCHEDULE: settings(Policy.ALLOW)})
    assert decision == claims.ClaimDecision(started=(start(1), start(2)))


def test_a_missed_run_no_longer_holds_back_the_next_slot() -> None:
    runs = [
        candidate(1, schedule=SCHEDULE, minutes=-60),
        candidate(2, schedule=SCHEDULE, minutes=-1),
    ]
    decision = decide(
        runs,
        schedules={SCHEDULE: settings(Policy.BUFFER_ALL)},
        finishes={
            SCHEDULE: [claims.Finish(run_id=domain.RunId(90), finished_at=NOW - 2 * 60 * MINUTE)]
        },
    )
    assert ended(decision.missed) == [(1, "started 3600 s late, beyond the misfire grace of 300 s")]
    assert started(decision) == [2]


def test_a_buffered_run_is_late_only_from_when_the_previous_run_finished() -> None:
    waited = candidate(1, schedule=SCHEDULE, minutes=-60)
    schedules = {SCHEDULE: settings(Policy.BUFFER_ONE)}
    recent = claims.Finish(run_id=domain.RunId(90), finished_at=NOW - MINUTE)
    assert started(decide([waited], schedules=schedules, finishes={SCHEDULE: [recent]})) == [1]
    assert ended(decide([waited], schedules=schedules).missed) == [
        (1, "started 3600 s late, beyond the misfire grace of 300 s")
    ]


def test_a_buffered_run_is_not_measured_from_its_own_finish() -> None:
    # The previous run is the latest other one, even if the run's own row has a finish.
    waited = candidate(1, schedule=SCHEDULE, minutes=-60)
    finishes = {
        SCHEDULE: [
            claims.Finish(run_id=domain.RunId(1), finished_at=NOW - MINUTE),
            claims.Finish(run_id=domain.RunId(90), finished_at=NOW - 50 * MINUTE),
        ]
    }
    decision = decide(
        [waited], schedules={SCHEDULE: settings(Policy.BUFFER_ONE)}, finishes=finishes
    )
    assert ended(decision.missed) == [(1, "started 3000 s late, beyond the misfire grace of 300 s")]


def test_only_buffered_schedules_whose_due_runs_could_start_need_finishes() -> None:
    due = candidate(1, schedule=SCHEDULE, minutes=-60)
    schedules = {
        SCHEDULE: settings(Policy.BUFFER_ONE),
        OTHER_SCHEDULE: settings(Policy.BUFFER_ALL),
        domain.ScheduleId(9): settings(Policy.SKIP),
    }
    runs = [
        due,
        candidate(2, schedule=OTHER_SCHEDULE, minutes=-60),  # behind a running sibling
        candidate(3, schedule=domain.ScheduleId(9), minutes=-60),  # not buffered
        candidate(4, schedule=domain.ScheduleId(10), minutes=-60),  # no settings: allow
        candidate(5),  # no schedule
    ]
    siblings = {
        SCHEDULE: [pending(due)],
        OTHER_SCHEDULE: [pending(runs[1]), running(100)],
        domain.ScheduleId(9): [pending(runs[2])],
    }
    assert claims.needs_finishes(runs, schedules=schedules, siblings=siblings, now=NOW) == {
        SCHEDULE
    }


def test_a_buffered_schedule_with_a_retry_pending_or_only_runs_ahead_needs_no_finishes() -> None:
    schedules = {SCHEDULE: settings(Policy.BUFFER_ONE)}
    due = candidate(1, minutes=-60, schedule=SCHEDULE)
    retry = candidate(2, minutes=-1, schedule=SCHEDULE, attempt=1)
    waiting_retry = {SCHEDULE: [pending(due), pending(retry)]}
    assert (
        claims.needs_finishes([due], schedules=schedules, siblings=waiting_retry, now=NOW) == set()
    )
    ahead = candidate(3, schedule=SCHEDULE, minutes=1)
    only_ahead = {SCHEDULE: [pending(ahead)]}
    assert (
        claims.needs_finishes([ahead], schedules=schedules, siblings=only_ahead, now=NOW) == set()
    )


# -- claiming ahead ---------------------------------------------------------------------------


def test_ahead_runs_have_their_own_quota() -> None:
    runs = [candidate(1), candidate(2), candidate(3, minutes=1), candidate(4, minutes=2)]
    decision = decide(runs, limit=1, ahead_limit=1)
    assert decision == claims.ClaimDecision(started=(start(1), start(3, ahead=True)))


def test_the_room_counts_runs_due_now_and_ahead_together() -> None:
    runs = [candidate(1), candidate(2), candidate(3, minutes=1), candidate(4, minutes=2)]
    decision = decide(runs, limit=2, ahead_limit=2, room=3)
    assert decision == claims.ClaimDecision(started=(start(1), start(2), start(3, ahead=True)))


def test_only_a_run_free_to_start_now_is_claimed_ahead() -> None:
    skip, buffered, cancels, free = (domain.ScheduleId(n) for n in (11, 12, 13, 14))
    runs = [
        candidate(1, schedule=skip, minutes=1),
        candidate(2, schedule=buffered, minutes=1),
        candidate(3, schedule=cancels, minutes=1),
        candidate(4, schedule=free, minutes=1),
    ]
    decision = decide(
        runs,
        schedules={
            skip: settings(Policy.SKIP),
            buffered: settings(Policy.BUFFER_ONE),
            cancels: settings(Policy.CANCEL_PREVIOUS),
            free: settings(Policy.CANCEL_PREVIOUS),
        },
        also_running={skip: [running(100)], buffered: [running(101)], cancels: [running(102)]},
        limit=0,
        ahead_limit=4,
    )
    # Not skipped, not waiting, cancelling nothing: judged at their time like any other run.
    assert decision == claims.ClaimDecision(started=(start(4, ahead=True),))


def test_a_run_claimed_ahead_is_never_missed() -> None:
    decision = decide(
        [candidate(1, schedule=SCHEDULE, minutes=1, slot=-60)],
        schedules={SCHEDULE: settings(Policy.ALLOW, grace=timedelta(0))},
        limit=0,
        ahead_limit=1,
    )
    assert decision == claims.ClaimDecision(started=(start(1, ahead=True),))


def test_a_run_claimed_ahead_counts_against_the_limits() -> None:
    runs = [candidate(1, minutes=-1), candidate(2, minutes=1), candidate(3, minutes=2)]
    assert started(decide(runs, org_max=2, ahead_limit=5)) == [1, 2]


# -- properties -------------------------------------------------------------------------------

ORGS = [domain.OrganizationId(n) for n in (1, 2, 3)]
SCHEDULES = [domain.ScheduleId(n) for n in (1, 2, 3, 4)]


def _org_of(schedule_id: domain.ScheduleId) -> domain.OrganizationId:
    return ORGS[schedule_id % len(ORGS)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A claim as the run queue reads it: candidates oldest first, every non-``allow``
    schedule's siblings (the candidates among them), finishes, counts and limits."""

    candidates: list[claims.Candidate]
    schedules: dict[domain.ScheduleId, claims.ScheduleSettings]
    siblings: dict[domain.ScheduleId, list[Sibling]]
    finishes: dict[domain.ScheduleId, list[claims.Finish]]
    running: dict[domain.OrganizationId, int]
    limits: claims.Limits

    def decide(
        self, finishes: Mapping[domain.ScheduleId, Sequence[claims.Finish]] | None = None
    ) -> claims.ClaimDecision:
        return claims.decide(
            self.candidates,
            schedules=self.schedules,
            siblings=self.siblings,
            finishes=self.finishes if finishes is None else finishes,
            running=self.running,
            limits=self.limits,
            now=NOW,
        )


@st.composite
def claims_to_decide(
    draw: st.DrawFn,
    *,
    max_candidates: int = 12,
    policies: Sequence[Policy] = tuple(Policy),
    roomy: bool = False,  # limits that stop nothing
) -> Claim:
    schedules = {
        schedule_id: settings(
            draw(st.sampled_from(policies)), draw(st.sampled_from([0, 5, 30])) * MINUTE
        )
        for schedule_id in SCHEDULES
    }
    candidates = [draw(_candidates(n + 1)) for n in range(draw(st.integers(0, max_candidates)))]
    candidates.sort(key=lambda c: (c.available_at, c.id))
    extra = {schedule_id: draw(_other_siblings(schedule_id)) for schedule_id in SCHEDULES}
    siblings = {
        schedule_id: [pending(c) for c in candidates if c.schedule_id == schedule_id]
        + extra[schedule_id]
        for schedule_id, found in schedules.items()
        if found.policy is not Policy.ALLOW
    }
    run_ids = [c.id for c in candidates] + [s.id for runs in extra.values() for s in runs]
    finished = st.lists(st.sampled_from([*run_ids, domain.RunId(999)]), unique=True, max_size=3)
    finishes = {
        schedule_id: [
            claims.Finish(
                run_id=run_id, finished_at=NOW - draw(st.sampled_from([1, 10, 90])) * MINUTE
            )
            for run_id in draw(finished)
        ]
        for schedule_id in SCHEDULES
    }
    return Claim(
        candidates=candidates,
        schedules=schedules,
        siblings=siblings,
        finishes=finishes,
        running={org: 0 if roomy else draw(st.integers(0, 4)) for org in ORGS},
        limits=draw(_limits(roomy=roomy)),
    )


@st.composite
def _limits(draw: st.DrawFn, *, roomy: bool) -> claims.Limits:
    if roomy:
        return claims.Limits(
            org_max=dict.fromkeys(ORGS, 99), global_limit=None, limit=99, ahead_limit=99, room=99
        )
    limit, ahead_limit = draw(st.sampled_from([0, 1, 2, 3, 5])), draw(st.integers(0, 3))
    return claims.Limits(
        org_max={org: draw(st.integers(0, 4)) for org in ORGS},
        global_limit=draw(st.none() | st.integers(0, 10)),
        limit=limit,
        ahead_limit=ahead_limit,
        room=limit + ahead_limit - draw(st.integers(0, 2)),  # less: the process is busy
    )


@st.composite
def _candidates(draw: st.DrawFn, run_id: int) -> claims.Candidate:
    schedule_id = draw(st.none() | st.sampled_from(SCHEDULES))
    minutes = draw(st.integers(-60, 3))
    return candidate(
        run_id,
        org=draw(st.sampled_from(ORGS)) if schedule_id is None else _org_of(schedule_id),
        schedule=schedule_id,
        minutes=minutes,
        slot=minutes - draw(st.integers(0, 2)),
        trigger=draw(st.sampled_from([Trigger.SCHEDULE, Trigger.SCHEDULE, *Trigger])),
        attempt=draw(st.sampled_from([0, 0, 0, 1, 2])),
    )


@st.composite
def _other_siblings(draw: st.DrawFn, schedule_id: domain.ScheduleId) -> list[Sibling]:
    """Running runs, and pending ones that are not candidates (retrying, or not due)."""
    found = []
    for k in range(draw(st.sampled_from([0, 0, 1, 2]))):
        state = draw(st.sampled_from([State.RUNNING, State.PENDING]))
        found.append(
            Sibling(
                id=domain.RunId(100 * schedule_id + k),
                state=state,
                scheduled_for=NOW + draw(st.integers(-90, 3)) * MINUTE,
                available_at=NOW + draw(st.integers(-90, 30)) * MINUTE,
                attempt=draw(st.integers(1 if state is State.RUNNING else 0, 2)),
                lease_expires_at=NOW + draw(st.integers(-1, 1)) * MINUTE,
            )
        )
    return found


@given(claims_to_decide())
def test_starts_never_exceed_the_room_nor_either_quota(claim: Claim) -> None:
    decision = claim.decide()
    assert len(decision.started) <= max(claim.limits.room, 0)
    assert sum(not s.ahead for s in decision.started) <= claim.limits.limit
    assert sum(s.ahead for s in decision.started) <= claim.limits.ahead_limit


@given(claims_to_decide())
def test_no_start_takes_an_organization_or_the_cluster_over_its_limit(claim: Claim) -> None:
    decision = claim.decide()
    org_of = {c.id: c.org_id for c in claim.candidates}
    after = Counter(claim.running)
    for cancel in decision.cancelled:
        after[org_of[cancel.by_run_id]] -= 1
    for started_run in decision.started:
        after[org_of[started_run.run_id]] += 1
    for org in {org_of[s.run_id] for s in decision.started}:
        assert after[org] <= claim.limits.org_max[org]
    if decision.started and claim.limits.global_limit is not None:
        assert sum(after.values()) <= claim.limits.global_limit


@given(claims_to_decide())
def test_each_candidate_is_decided_at_most_once_and_starts_keep_their_order(claim: Claim) -> None:
    decision = claim.decide()
    order = [c.id for c in claim.candidates]
    ahead = {c.id: c.available_at > NOW for c in claim.candidates}
    decided = started(decision) + [e.run_id for e in decision.skipped + decision.missed]
    assert len(decided) == len(set(decided))
    assert set(decided) <= set(order)
    assert started(decision) == sorted(started(decision), key=order.index)
    assert all(s.ahead == ahead[s.run_id] for s in decision.started)
    # Only a run due now cancels, and only siblings that were running before the claim.
    assert all(not ahead[c.by_run_id] for c in decision.cancelled)
    assert not {c.run_id for c in decision.cancelled} & set(order)
    cancelled = [c.run_id for c in decision.cancelled]
    assert len(cancelled) == len(set(cancelled))


# Buffered schedules with a few runs and no limits: many runs reach the misfire rule, and
# more examples than the default, as only a few of them find a finish that matters.
@examples(max_examples=300)
@given(
    claims_to_decide(max_candidates=5, policies=[Policy.BUFFER_ONE, Policy.BUFFER_ALL], roomy=True)
)
def test_the_two_latest_finishes_of_the_schedules_that_need_them_are_enough(
    claim: Claim,
) -> None:
    needed = claims.needs_finishes(
        claim.candidates, schedules=claim.schedules, siblings=claim.siblings, now=NOW
    )
    latest_two = {
        schedule_id: sorted(claim.finishes[schedule_id], key=lambda f: f.finished_at)[-2:]
        for schedule_id in needed
    }
    assert claim.decide(finishes=latest_two) == claim.decide()
