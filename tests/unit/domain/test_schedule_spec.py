from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cronwright import domain

durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(UTC)
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
specs = st.builds(
    domain.ScheduleSpec,
    workflow_id=st.integers(1, 10**9).map(domain.WorkflowId),
    name=st.text(min_size=1, max_size=20),
    cron=st.just("*/5 * * * *"),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
    paused=st.booleans(),
    start_at=st.none() | instants,
    end_at=st.none() | instants,
    input=st.dictionaries(st.text(max_size=5), json_scalars, max_size=4),
    dst_gap=st.sampled_from(domain.DstGapPolicy),
    dst_fold=st.sampled_from(domain.DstFoldPolicy),
    catchup=st.sampled_from(domain.CatchupPolicy),
    catchup_window=durations,
    misfire_grace=durations,
    overlap=st.sampled_from(domain.OverlapPolicy),
    max_attempts=st.integers(1, 100),
    backoff_initial=durations,
    backoff_factor=st.floats(1, 10),
    backoff_max=durations,
    timeout=durations,
    jitter=durations,
)


@given(specs)
def test_a_snapshot_restores_the_exact_spec(spec: domain.ScheduleSpec) -> None:
    restored = domain.ScheduleSpec.from_json(spec.to_json())
    assert restored == spec
    assert domain.diff_specs(spec, restored) == ()


@given(specs, specs)
def test_the_diff_lists_exactly_the_fields_that_differ(
    old: domain.ScheduleSpec, new: domain.ScheduleSpec
) -> None:
    changes = domain.diff_specs(old, new)
    changed = {change.field for change in changes}
    assert changed == {
        name for name in domain.SPEC_FIELDS if getattr(old, name) != getattr(new, name)
    }
    assert [c.field for c in changes] == [n for n in domain.SPEC_FIELDS if n in changed]


def test_defaults_follow_the_design() -> None:
    spec = domain.ScheduleSpec(workflow_id=domain.WorkflowId(1), name="n", cron="* * * * *")
    assert (spec.timezone, spec.catchup, spec.max_attempts) == ("UTC", "latest", 3)
    assert (spec.backoff_initial, spec.backoff_factor) == (timedelta(seconds=5), 2.0)
    assert (spec.dst_gap, spec.dst_fold, spec.paused) == ("auto", "auto", False)


def test_a_diff_shows_old_and_new_values_as_snapshots_store_them() -> None:
    old = domain.ScheduleSpec(workflow_id=domain.WorkflowId(1), name="n", cron="* * * * *")
    new = old.replace(cron="0 * * * *", timeout=timedelta(seconds=30))
    assert domain.diff_specs(old, new) == (
        domain.FieldChange(field="cron", old="* * * * *", new="0 * * * *"),
        domain.FieldChange(field="timeout", old=3_600_000_000, new=30_000_000),
    )


def test_only_pending_and_running_runs_are_unfinished() -> None:
    unfinished = {s for s in domain.RunState if not s.is_terminal}
    assert unfinished == {domain.RunState.PENDING, domain.RunState.RUNNING}
    assert frozenset(domain.RunState) - unfinished == domain.TERMINAL_RUN_STATES
