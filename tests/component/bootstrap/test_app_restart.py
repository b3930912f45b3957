"""An App stopped while its runs are in flight, then started again: every run ends once, with
the step records of the attempt that ended it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cronwright import App, domain
from cronwright.actions import StepContext
from cronwright.clock import FakeClock, SystemClock
from cronwright.service import triggers
from cronwright.store.slots import slot_ledger

State = domain.RunState
WAIT = 10.0


def _wait_for(predicate: object, timeout: float = WAIT) -> bool:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():  # type: ignore[operator]
            return True
        done.wait(0.02)
    return False


def test_a_run_released_at_stop_keeps_the_steps_of_its_rerun(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    first_call = threading.Event()
    calls: list[int] = []

    def job(ctx: StepContext) -> str:
        calls.append(ctx.attempt)
        if len(calls) == 1:
            first_call.set()
            ctx.stop.wait(WAIT)  # interrupted by the stop below
            return "interrupted"
        return "done"

    app = App(url, poll_interval=timedelta(milliseconds=50))
    app.action("job")(job)
    app.schedule("job", "0 0 1 1 *", action="job")
    run = _trigger(app)
    app.start()
    try:
        assert first_call.wait(WAIT)
    finally:
        app.stop(timedelta(0))
    released = app.store.get_run(app.organization.id, run.id)
    assert (released.state, released.attempt) == (State.PENDING, 0)
    app.close()

    again = App(url, poll_interval=timedelta(milliseconds=50))
    again.action("job")(job)
    again.start()
    try:
        assert _wait_for(
            lambda: again.store.get_run(again.organization.id, run.id).state.is_terminal
        )
    finally:
        again.stop()
    final = again.store.get_run(again.organization.id, run.id)
    steps = again.store.list_run_steps(again.organization.id, run.id)
    again.close()
    assert (final.state, final.attempt, final.result) == (State.SUCCEEDED, 1, {"job": "done"})
    of_final = [(s.name, s.attempt, s.state, s.output) for s in steps if s.attempt == final.attempt]
    assert of_final == [("job", 1, State.SUCCEEDED, "done")]
    assert calls == [1, 1]


def _trigger(app: App) -> domain.Run:
    """A manual run of the app's only schedule, due now."""
    [schedule] = app.service.schedules.list(app.organization.id, domain.ScheduleFilter()).items
    starter = triggers.Triggers(
        app.store, slot_ledger.SqlSlotLedger(app.store.engine), SystemClock()
    )
    return starter.trigger_now(app.organization.id, schedule.id)


def _restart_case(tmp_path: Path, down_for: timedelta) -> domain.Run:
    """A slot written (lookahead) before a stop; the process comes back ``down_for`` after it."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, 55, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'app.db'}"
    before = App(url, clock=clock)
    before.schedule("minutely", "* * * * *", action="job", misfire_grace=timedelta(seconds=30))
    assert before.scheduler.tick().pending == 1  # 09:01:00, written 5 s ahead
    before.stop(timedelta(0))
    before.close()
    clock.current = datetime(2026, 3, 2, 9, 1, tzinfo=UTC) + down_for
    after = App(url, clock=clock)
    after.action("job")(lambda ctx: "done")
    try:
        claimed = after.worker.claim_once()
        after.worker.stop(timedelta(seconds=30))
        [run] = [
            r
            for r in after.store.list_runs(
                after.organization.id, domain.RunFilter(), before_id=None, limit=10
            )
            if r.scheduled_for == datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
        ]
        assert len(claimed) == (1 if run.state is State.SUCCEEDED else 0)
        return run
    finally:
        after.close()


def test_a_slot_written_before_a_stop_runs_late_within_its_misfire_grace(tmp_path: Path) -> None:
    run = _restart_case(tmp_path, timedelta(seconds=25))
    assert (run.state, run.trigger) == (State.SUCCEEDED, domain.Trigger.SCHEDULE)
    assert run.started_at == datetime(2026, 3, 2, 9, 1, 25, tzinfo=UTC)


def test_a_slot_written_before_a_stop_is_missed_past_its_misfire_grace(tmp_path: Path) -> None:
    run = _restart_case(tmp_path, timedelta(seconds=65))
    assert run.state is State.MISSED
    assert run.reason == "started 65 s late, beyond the misfire grace of 30 s"
