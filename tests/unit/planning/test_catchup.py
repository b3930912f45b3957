"""Catch-up decisions: what becomes of each slot of one materialisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cronwright import domain
from cronwright.planning import catchup

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
PENDING, MISSED = domain.RunState.PENDING, domain.RunState.MISSED
LATEST = catchup.CatchupRule(policy=domain.CatchupPolicy.LATEST, window=timedelta(hours=24))
NONE = catchup.CatchupRule(policy=domain.CatchupPolicy.NONE, window=timedelta(hours=24))
ALL_1H = catchup.CatchupRule(policy=domain.CatchupPolicy.ALL, window=timedelta(hours=1))


def minutes_before(*minutes: int) -> list[datetime]:
    return sorted(NOW - timedelta(minutes=m) for m in minutes)


def states(decisions: list[catchup.SlotDecision]) -> list[str]:
    return [d.state.value for d in decisions]


def test_slots_within_the_late_tolerance_run_whatever_the_policy() -> None:
    slots = [NOW - timedelta(seconds=30), NOW - timedelta(seconds=5), NOW + timedelta(seconds=5)]
    for rule in (NONE, LATEST, ALL_1H):
        assert states(catchup.decide(slots, now=NOW, rule=rule)) == ["pending"] * 3


def test_a_slot_just_past_the_tolerance_is_late() -> None:
    slots = [NOW - timedelta(seconds=31)]
    assert states(catchup.decide(slots, now=NOW, rule=NONE)) == ["missed"]
    tolerant = catchup.CatchupSettings(late_tolerance=timedelta(minutes=1))
    assert states(catchup.decide(slots, now=NOW, rule=NONE, settings=tolerant)) == ["pending"]


def test_policy_none_misses_every_late_slot() -> None:
    slots = [*minutes_before(3, 2, 1), NOW + timedelta(seconds=10)]
    decisions = catchup.decide(slots, now=NOW, rule=NONE)
    assert states(decisions) == ["missed", "missed", "missed", "pending"]
    assert decisions[0].reason == (
        "missed: the scheduler was not running at 2026-11-27T13:57:00Z "
        "(catch-up policy 'none' runs no late slot)"
    )
    assert decisions[3].reason is None


def test_policy_latest_runs_only_the_newest_late_slot() -> None:
    slots = [*minutes_before(3, 2, 1), NOW]
    decisions = catchup.decide(slots, now=NOW, rule=LATEST)
    assert states(decisions) == ["missed", "missed", "pending", "pending"]
    assert decisions[1].reason == (
        "missed: the scheduler was not running at 2026-11-27T13:58:00Z "
        "(catch-up policy 'latest' runs only the newest late slot)"
    )


def test_policy_all_runs_late_slots_inside_the_window() -> None:
    slots = minutes_before(90, 61, 60, 30)
    decisions = catchup.decide(slots, now=NOW, rule=ALL_1H)
    assert states(decisions) == ["missed", "missed", "pending", "pending"]
    assert decisions[0].reason == (
        "missed: the scheduler was not running at 2026-11-27T12:30:00Z "
        "(older than the catch-up window of 1 hour)"
    )


def test_policy_all_keeps_the_newest_slots_up_to_the_cap() -> None:
    slots = minutes_before(5, 4, 3, 2, 1)
    capped = catchup.CatchupSettings(max_catchup_runs=2)
    decisions = catchup.decide(slots, now=NOW, rule=ALL_1H, settings=capped)
    assert states(decisions) == ["missed", "missed", "missed", "pending", "pending"]
    assert decisions[0].reason is not None
    assert "runs at most the 2 newest late slots" in decisions[0].reason


def test_the_default_cap_is_a_hundred() -> None:
    slots = [NOW - timedelta(seconds=s) for s in range(300, 40, -1)]
    decisions = catchup.decide(slots, now=NOW, rule=ALL_1H)
    assert sum(d.runs for d in decisions) == 100
    assert all(d.runs for d in decisions[-100:])


def test_no_slots_no_decisions() -> None:
    assert catchup.decide([], now=NOW, rule=LATEST) == []


@st.composite
def slot_lists(draw: st.DrawFn) -> list[datetime]:
    offsets = draw(st.sets(st.integers(min_value=-7200, max_value=600), max_size=60))
    return sorted(NOW + timedelta(seconds=s) for s in offsets)


@given(
    slots=slot_lists(),
    policy=st.sampled_from(list(domain.CatchupPolicy)),
    cap=st.integers(min_value=1, max_value=5),
    prefix=st.integers(min_value=0, max_value=60),
)
def test_decisions_on_a_prefix_are_final_given_cap_plus_one_more_slots(
    slots: list[datetime], policy: domain.CatchupPolicy, cap: int, prefix: int
) -> None:
    """What lets a long outage be written in several transactions: deciding the first slots
    needs only ``cap + 1`` slots beyond them, not the whole outage."""
    rule = catchup.CatchupRule(policy=policy, window=timedelta(minutes=30))
    settings = catchup.CatchupSettings(max_catchup_runs=cap)
    whole = catchup.decide(slots, now=NOW, rule=rule, settings=settings)
    part = catchup.decide(slots[: prefix + cap + 1], now=NOW, rule=rule, settings=settings)
    assert part[:prefix] == whole[:prefix]


@given(slots=slot_lists(), policy=st.sampled_from(list(domain.CatchupPolicy)))
def test_at_most_the_cap_of_late_slots_run_and_never_more_than_one_under_latest(
    slots: list[datetime], policy: domain.CatchupPolicy
) -> None:
    rule = catchup.CatchupRule(policy=policy, window=timedelta(minutes=30))
    settings = catchup.CatchupSettings(max_catchup_runs=3)
    decisions = catchup.decide(slots, now=NOW, rule=rule, settings=settings)
    late_runs = [d for d in decisions if d.runs and d.scheduled_for < NOW - settings.late_tolerance]
    assert len(late_runs) <= {"none": 0, "latest": 1, "all": 3}[policy.value]
    assert all((d.reason is None) == d.runs for d in decisions)
