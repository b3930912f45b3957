"""The pure alert rules: literal facts in, alerts out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from cronwright import domain
from cronwright.planning import alerts

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S1, S2 = domain.ScheduleId(1), domain.ScheduleId(2)
F, OK, TO = domain.RunState.FAILED, domain.RunState.SUCCEEDED, domain.RunState.TIMED_OUT


def run(
    run_id: int,
    state: domain.RunState,
    minute: int,
    schedule: domain.ScheduleId | None = S1,
) -> alerts.FinishedRun:
    return alerts.FinishedRun(
        id=domain.RunId(run_id),
        org_id=domain.OrganizationId(7),
        schedule_id=schedule,
        schedule_name=None if schedule is None else f"s{schedule}",
        workflow_id=domain.WorkflowId(3),
        state=state,
        scheduled_for=T + timedelta(minutes=minute),
        finished_at=T + timedelta(minutes=minute, seconds=30),
        attempt=2,
        error="boom" if state is not OK else None,
    )


def keys(found: list[alerts.Alert]) -> list[str]:
    return [alert.dedup_key for alert in found]


def late(minute: int, cause: str = alerts.MissCause.SCHEDULER) -> alerts.LateSlot:
    return alerts.LateSlot(
        org_id=domain.OrganizationId(7),
        schedule_id=S1,
        schedule_name="s1",
        slot_at=T + timedelta(minutes=minute),
        due_at=T + timedelta(minutes=minute),
        grace=timedelta(minutes=10),
        cause=cause,
    )


def test_final_failures_and_timeouts_alert_once_each_with_the_run_error() -> None:
    found = alerts.alerts_for([run(1, F, 0), run(2, TO, 1), run(3, OK, 2, None)], {}, [], now=T)
    assert keys(found) == ["failure:run:1", "failure:run:2"]
    assert found[1].summary == "schedule 's1': run 2 timed out after 2 attempt(s)"
    assert found[0].details["error"] == "boom"
    assert found[0].payload()["details"] == found[0].details


@pytest.mark.parametrize(
    ("states", "recovered"),
    [
        ((F, OK), [2]),
        ((F, F, OK, OK), [3]),
        ((OK, OK), []),
        ((F, OK, F, OK), [2, 4]),
        ((TO, OK), [2]),
        ((OK, F), []),
    ],
)
def test_recovery_is_the_first_success_after_a_final_failure(
    states: tuple[domain.RunState, ...], recovered: list[int]
) -> None:
    finished = [run(i, state, i) for i, state in enumerate(states, start=1)]
    found = alerts.recovery_alerts(reversed(finished), {})  # order comes from finish times
    assert [alert.run_id for alert in found] == recovered


def test_recovery_counts_the_outcome_before_the_window_per_schedule() -> None:
    previous = {S1: run(1, F, 0), S2: run(2, OK, 0, S2)}
    found = alerts.recovery_alerts([run(3, OK, 5), run(4, OK, 5, S2)], previous)
    assert keys(found) == ["recovery:run:3"]
    assert found[0].details["previous_run_id"] == 1


def test_runs_without_a_schedule_never_recover() -> None:
    assert alerts.recovery_alerts([run(1, F, 0, None), run(2, OK, 1, None)], {}) == []


def test_a_late_slot_alerts_only_once_past_its_grace() -> None:
    slot = late(0)
    at_grace = T + timedelta(minutes=10)
    assert alerts.alerts_for([], {}, [slot], now=at_grace) == []
    [alert] = alerts.alerts_for([], {}, [slot], now=at_grace + timedelta(microseconds=1))
    assert alert.dedup_key == "missed:schedule:1:2026-03-02T09:00:00+00:00"
    assert alert.event == alerts.SCHEDULE_MISSED
    assert alert.details["cause"] == "scheduler"


def test_slots_missed_together_are_one_alert_keyed_by_the_first_slot() -> None:
    missed = alerts.LateSlot(
        org_id=domain.OrganizationId(7),
        schedule_id=S1,
        schedule_name="s1",
        slot_at=T,
        due_at=T + timedelta(hours=2),
        grace=timedelta(0),
        cause=alerts.MissCause.MISSED,
        count=120,
        last_slot_at=T + timedelta(minutes=119),
    )
    stuck = late(0)  # the same first slot, found earlier while the scheduler was down
    [alert] = alerts.alerts_for([], {}, [missed, stuck], now=T + timedelta(hours=2))
    assert alert.dedup_key == "missed:schedule:1:2026-03-02T09:00:00+00:00"
    assert alert.summary == (
        "schedule 's1': 120 slots from 2026-03-02T09:00:00+00:00 to 2026-03-02T10:59:00+00:00 "
        "did not start: their runs were marked missed"
    )
    assert (alert.details["slots"], alert.details["last_slot"]) == (
        120,
        "2026-03-02T10:59:00+00:00",
    )


def test_rate_limit_windows_are_aligned_so_every_process_agrees() -> None:
    rate = alerts.RateLimit(max_alerts=2, window=timedelta(hours=1))
    assert rate.window_start(T + timedelta(minutes=59)) == T
    assert rate.window_end(T) == T + timedelta(hours=1)
    assert [rate.admits(n) for n in range(4)] == [True, True, False, False]
    assert alerts.coalesced_key("schedule:1", T) == "coalesced:schedule:1:2026-03-02T09:00:00+00:00"
    with pytest.raises(ValueError, match="rate limit"):
        alerts.RateLimit(max_alerts=0)


def test_delivery_backoff_grows_then_gives_up() -> None:
    policy = alerts.DeliveryPolicy(
        max_attempts=4, initial=timedelta(seconds=10), factor=3, maximum=timedelta(minutes=1)
    )
    delays = [policy.next_attempt_at(n, T) for n in range(1, 5)]
    assert delays == [
        T + timedelta(seconds=10),
        T + timedelta(seconds=30),
        T + timedelta(minutes=1),
        None,
    ]


def test_a_slot_waiting_for_a_capable_worker_says_so_in_its_alert() -> None:
    reason = "waiting for a worker that can run python function 'only_here' (no live worker can)"
    waiting = dataclasses.replace(late(0, alerts.MissCause.QUEUE), waiting_reason=reason)
    plain = late(1, alerts.MissCause.QUEUE)
    found = {
        alert.dedup_key: alert
        for alert in [alerts.missed_alert(waiting), alerts.missed_alert(plain)]
    }
    [first, second] = found.values()
    assert first.summary.endswith(f"did not start: its run is still {reason}")
    assert second.summary.endswith("its run is still waiting (are the workers down or full?)")
