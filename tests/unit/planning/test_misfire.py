from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronwright import domain
from cronwright.planning.misfire import missed_reason, runnable_since

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GRACE = timedelta(minutes=10)


def reason(
    at: datetime, *, trigger: domain.Trigger = domain.Trigger.SCHEDULE, attempt: int = 0
) -> str | None:
    return missed_reason(trigger=trigger, attempt=attempt, runnable_at=T0, grace=GRACE, now=at)


def test_a_run_within_its_grace_runs() -> None:
    assert reason(T0 + GRACE) is None


def test_a_run_past_its_grace_is_missed_with_how_late_it_was() -> None:
    assert reason(T0 + GRACE + timedelta(seconds=1)) == (
        "started 601 s late, beyond the misfire grace of 600 s"
    )


def test_manual_runs_backfills_and_retries_never_miss() -> None:
    late = T0 + timedelta(days=1)
    assert reason(late, trigger=domain.Trigger.MANUAL) is None
    assert reason(late, trigger=domain.Trigger.BACKFILL) is None
    assert reason(late, attempt=1) is None


def test_jitter_is_not_lateness() -> None:
    jittered = T0 + timedelta(seconds=30)
    since = runnable_since(
        available_at=jittered, overlap=domain.OverlapPolicy.SKIP, previous_finished_at=None
    )
    assert since == jittered


def test_a_buffered_run_is_late_only_from_when_its_predecessor_finished() -> None:
    finished = T0 + timedelta(hours=1)
    for policy in (domain.OverlapPolicy.BUFFER_ONE, domain.OverlapPolicy.BUFFER_ALL):
        assert runnable_since(available_at=T0, overlap=policy, previous_finished_at=finished) == (
            finished
        )


def test_other_policies_ignore_when_the_predecessor_finished() -> None:
    finished = T0 + timedelta(hours=1)
    since = runnable_since(
        available_at=T0, overlap=domain.OverlapPolicy.ALLOW, previous_finished_at=finished
    )
    assert since == T0


def test_a_predecessor_that_finished_before_the_slot_changes_nothing() -> None:
    since = runnable_since(
        available_at=T0,
        overlap=domain.OverlapPolicy.BUFFER_ALL,
        previous_finished_at=T0 - timedelta(minutes=5),
    )
    assert since == T0
