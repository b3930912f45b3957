"""The data interval of a run: ``[the schedule's slot before it, its slot)``, computed from the
schedule version that made it, with that version's DST policy."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cronwright import domain
from cronwright.engine import run_context
from cronwright.planning.slots import Cadence

EXPRESSIONS = [
    "0 2 * * *",  # fixed-time, inside the spring gap and the autumn overlap of many zones
    "30 2 * * *",
    "0 1-3 * * *",
    "*/30 * * * *",  # floating: skips missing times, fires in both occurrences
    "15 * * * *",
    "0 9 * * 1-5",
    "0 0 1 * *",
    "H H * * *",
]
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
GAPS = list(domain.DstGapPolicy)
FOLDS = list(domain.DstFoldPolicy)


def claimed(spec: domain.ScheduleSpec, slot: datetime, *, key: str = "k") -> domain.ClaimedRun:
    run = domain.Run(
        id=domain.RunId(1),
        org_id=domain.OrganizationId(1),
        workflow_id=domain.WorkflowId(1),
        schedule_id=domain.ScheduleId(7),
        schedule_version_id=domain.ScheduleVersionId(1),
        trigger=domain.Trigger.SCHEDULE,
        scheduled_for=slot,
        available_at=slot,
        state=domain.RunState.RUNNING,
        reason=None,
        attempt=1,
        max_attempts=1,
        worker_id="w",
        lease_expires_at=None,
        started_at=None,
        finished_at=None,
        input={},
        result=None,
        error=None,
        created_at=slot,
    )
    origin = domain.RunOrigin(schedule_id=domain.ScheduleId(7), hash_key=key, spec=spec)
    definition = domain.parse_definition(
        {"steps": [{"name": "s", "kind": "python", "config": {"function": "f"}}]},
        kinds=frozenset({"python"}),
    )
    return domain.ClaimedRun(
        run=run, definition=definition, timeout=timedelta(minutes=1), origin=origin
    )


@settings(max_examples=60, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    zone=st.sampled_from(ZONES),
    gap=st.sampled_from(GAPS),
    fold=st.sampled_from(FOLDS),
    day=st.integers(min_value=0, max_value=3 * 365),
)
def test_each_slot_interval_starts_at_the_slot_the_schedule_made_before_it(
    expression: str, zone: str, gap: domain.DstGapPolicy, fold: domain.DstFoldPolicy, day: int
) -> None:
    spec = domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(1),
        name="s",
        cron=expression,
        timezone=zone,
        dst_gap=gap,
        dst_fold=fold,
    )
    after = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day)
    # The slots as the scheduler makes them, 60 in a row from a random day.
    slots = list(itertools.islice(Cadence.of(spec, hash_key="k").slots(after=after), 60))
    for before, slot in itertools.pairwise(slots):
        assert run_context.of(claimed(spec, slot)).interval_start == before, (slot, before)


def test_schedules_of_one_hashed_expression_keep_their_own_intervals() -> None:
    """Expressions without ``H`` are parsed once for every schedule (their key seeds nothing);
    with ``H``, each schedule's key gives its own slots."""
    after = datetime(2025, 1, 1, tzinfo=UTC)
    for expression in ("H H * * *", "h h * * *", "0 2 * * *"):
        spec = domain.ScheduleSpec(workflow_id=domain.WorkflowId(1), name="s", cron=expression)
        for key in ("a", "b", "c"):
            before, slot = itertools.islice(Cadence.of(spec, hash_key=key).slots(after=after), 2)
            assert run_context.of(claimed(spec, slot, key=key)).interval_start == before


def test_the_first_slot_has_an_interval_even_before_the_schedule_started() -> None:
    # The schedule starts on 2025-03-27: its first slot's data is the day before it all the same.
    start = datetime.fromisoformat("2025-03-27T00:00:00+01:00")
    spec = domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(1),
        name="s",
        cron="0 2 * * *",
        timezone="Europe/Berlin",
        start_at=start,
    )
    first = next(Cadence.of(spec, hash_key="k").slots(after=start - timedelta(days=9)))
    context = run_context.of(claimed(spec, first))
    assert context.scheduled_for_local.isoformat() == "2025-03-27T02:00:00+01:00"
    assert context.interval_start is not None
    assert context.interval_start.isoformat() == "2025-03-26T01:00:00+00:00"


def test_an_expression_that_never_fired_before_has_no_interval_start() -> None:
    spec = domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(1), name="s", cron="0 0 0 1 1 * 2030", timezone="UTC"
    )
    slot = datetime(2030, 1, 1, tzinfo=UTC)
    assert run_context.of(claimed(spec, slot)).interval_start is None


def test_in_the_autumn_overlap_a_floating_schedule_has_an_hour_long_interval_each_time() -> None:
    # Europe/Berlin, 2025-10-26: 02:59:59+02:00 is followed by 02:00:00+01:00; 02:00 happens twice.
    spec = domain.ScheduleSpec(
        workflow_id=domain.WorkflowId(1), name="s", cron="0 * * * *", timezone="Europe/Berlin"
    )
    second_two = datetime.fromisoformat("2025-10-26T02:00:00+01:00")
    context = run_context.of(claimed(spec, second_two))
    assert context.interval_start is not None
    assert context.interval_start.astimezone(context.zone).isoformat() == (
        "2025-10-26T02:00:00+02:00"
    )
    assert context.date_local.isoformat() == "2025-10-26"
