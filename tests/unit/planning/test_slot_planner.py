"""The plan for one schedule in one materialisation: runs, caps and the new next_fire_at."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import hypothesis
from hypothesis import strategies as st

from cronwright import domain
from cronwright.planning import catchup, materialize
from cronwright.planning.materialize import SchedulePlan, SlotPlanner
from cronwright.planning.slots import Cadence

NOW = datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC)
LOOKAHEAD = timedelta(seconds=10)
PENDING, MISSED = domain.RunState.PENDING, domain.RunState.MISSED


def schedule(cron: str, next_fire_at: datetime | None, **changes: object) -> domain.Schedule:
    spec = domain.ScheduleSpec(workflow_id=domain.WorkflowId(1), name="s", cron=cron)
    return domain.Schedule(
        id=domain.ScheduleId(7),
        org_id=domain.OrganizationId(1),
        hash_key="5eed",
        spec=spec.replace(**changes),
        next_fire_at=next_fire_at,
        version=1,
        created_at=NOW - timedelta(days=30),
        updated_at=NOW - timedelta(days=30),
    )


def test_an_on_time_tick_plans_the_due_slot_and_advances_past_the_window() -> None:
    due = datetime(2026, 11, 27, 14, 1, tzinfo=UTC)
    plan = SlotPlanner().plan(
        schedule("* * * * *", due), now=NOW + 50 * timedelta(seconds=1), until=due
    )
    assert [(r.scheduled_for, r.state) for r in plan.runs] == [(due, PENDING)]
    assert plan.next_fire_at == due + timedelta(minutes=1)
    assert not plan.capped


def test_after_a_three_hour_outage_latest_runs_one_and_records_the_rest_missed() -> None:
    plan = SlotPlanner().plan(
        schedule("*/15 * * * *", datetime(2026, 11, 27, 11, 0, tzinfo=UTC)),
        now=NOW,
        until=NOW + LOOKAHEAD,
    )
    assert [r.state for r in plan.runs] == [MISSED] * 11 + [PENDING, PENDING]
    assert plan.runs[-2].scheduled_for == datetime(2026, 11, 27, 13, 45, tzinfo=UTC)
    assert plan.runs[-1].scheduled_for == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 5 s ago
    assert plan.next_fire_at == datetime(2026, 11, 27, 14, 15, tzinfo=UTC)
    assert all(r.reason for r in plan.runs if r.state is MISSED)


def test_the_last_slot_before_end_at_leaves_no_next_fire() -> None:
    end = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    plan = SlotPlanner().plan(
        schedule("0 * * * *", end - timedelta(hours=1), end_at=end), now=NOW, until=NOW + LOOKAHEAD
    )
    assert [r.scheduled_for for r in plan.runs] == [end - timedelta(hours=1), end]
    assert plan.next_fire_at is None


def test_a_schedule_with_no_next_fire_plans_nothing() -> None:
    assert SlotPlanner().plan(schedule("* * * * *", None), now=NOW, until=NOW) == SchedulePlan(
        runs=(), next_fire_at=None
    )


def test_jitter_delays_pending_runs_only() -> None:
    plan = SlotPlanner().plan(
        schedule("* * * * *", NOW - timedelta(minutes=3), jitter=timedelta(seconds=20)),
        now=NOW,
        until=NOW + LOOKAHEAD,
    )
    for run in plan.runs:
        if run.state is MISSED:
            assert run.available_at == run.scheduled_for
        else:
            assert (
                run.scheduled_for <= run.available_at <= run.scheduled_for + timedelta(seconds=20)
            )
    assert len({r.available_at - r.scheduled_for for r in plan.runs if r.state is PENDING}) == 2


def drain(
    planner: SlotPlanner, subject: domain.Schedule, until: datetime
) -> list[list[tuple[datetime, domain.RunState]]]:
    """Plan repeatedly, as successive ticks would, until the schedule is no longer capped."""
    batches = []
    while True:
        plan = planner.plan(subject, now=NOW, until=until)
        batches.append([(r.scheduled_for, r.state) for r in plan.runs])
        subject = dataclasses.replace(subject, next_fire_at=plan.next_fire_at)
        if not plan.capped:
            return batches


def test_a_long_outage_is_written_in_capped_chunks_that_add_up_to_one_decision_per_slot() -> None:
    outage_start = NOW.replace(microsecond=0) - timedelta(minutes=10)
    subject = schedule("* * * * * *", outage_start, catchup=domain.CatchupPolicy.LATEST)
    planner = SlotPlanner(max_slots=100)
    batches = drain(planner, subject, NOW + LOOKAHEAD)
    assert all(len(batch) <= 100 for batch in batches)
    planned = [slot for batch in batches for slot in batch]
    expected = list(Cadence.of_schedule(subject).slots_from(outage_start, until=NOW + LOOKAHEAD))
    assert [at for at, _ in planned] == expected  # every slot once, in order
    late_pending = [
        at for at, state in planned if state is PENDING and at < NOW - timedelta(seconds=30)
    ]
    assert late_pending == [max(at for at in expected if at < NOW - timedelta(seconds=30))]


def test_capped_chunks_under_policy_all_keep_the_newest_late_slots() -> None:
    outage_start = NOW.replace(microsecond=0) - timedelta(minutes=10)
    subject = schedule(
        "* * * * * *",
        outage_start,
        catchup=domain.CatchupPolicy.ALL,
        catchup_window=timedelta(hours=1),
    )
    planner = SlotPlanner(max_slots=50, catchup=catchup.CatchupSettings(max_catchup_runs=20))
    planned = [slot for batch in drain(planner, subject, NOW) for slot in batch]
    late = [at for at, _ in planned if at < NOW - timedelta(seconds=30)]
    assert [at for at, state in planned if state is PENDING and at in late] == late[-20:]


# Schedules planned one after another share computed windows (planning.materialize._window):
# sharing must never give a schedule another one's slots.
_SHARED_CRONS = ("*/15 * * * *", "0 * * * *", "H * * * *", "30 2 * * *", "*/20 * * * * *")
_ZONES = ("UTC", "America/New_York", "Europe/Berlin")


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(
    st.lists(
        st.tuples(
            st.sampled_from(_SHARED_CRONS),
            st.sampled_from(_ZONES),
            st.sampled_from(("5eed", "other")),
            st.integers(min_value=-180, max_value=30),  # next_fire_at, minutes from now
            st.sampled_from((None, -30, 5)),  # start_at, minutes from now
        ),
        min_size=1,
        max_size=12,
    )
)
def test_plans_made_in_a_row_equal_plans_made_alone(
    drawn: list[tuple[str, str, str, int, int | None]],
) -> None:
    planner = SlotPlanner()
    made = []
    for cron, zone, key, fire, start in drawn:
        at = NOW + timedelta(minutes=fire)
        found = schedule(
            cron,
            at,
            timezone=zone,
            start_at=None if start is None else NOW + timedelta(minutes=start),
        )
        made.append(dataclasses.replace(found, hash_key=key))
    in_a_row = [planner.plan(s, now=NOW, until=NOW + LOOKAHEAD) for s in made]
    alone = []
    for s in made:
        materialize._windows.clear()
        alone.append(planner.plan(s, now=NOW, until=NOW + LOOKAHEAD))
    assert in_a_row == alone
