from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cronwright import App, domain, errors
from cronwright.actions import StepContext
from cronwright.clock import FakeClock


@pytest.fixture
def clock(t0: datetime) -> FakeClock:
    return FakeClock(t0)


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    built = App(f"sqlite:///{tmp_path / 'app.db'}", clock=clock)
    yield built
    built.close()


def test_scheduling_the_same_thing_twice_changes_nothing(app: App) -> None:
    first = app.schedule("nightly", "0 2 * * *", action="report", overlap="skip")
    again = app.schedule("nightly", "0 2 * * *", action="report", overlap="skip")
    assert (again.id, again.version) == (first.id, 1)
    assert first.spec.overlap is domain.OverlapPolicy.SKIP


def test_changing_a_schedule_call_edits_the_schedule(app: App) -> None:
    first = app.schedule("nightly", "0 2 * * *", action="report")
    edited = app.schedule(
        "nightly", "0 3 * * *", action="report", timeout=timedelta(minutes=5), max_attempts=5
    )
    assert (edited.id, edited.version) == (first.id, 2)
    assert (edited.spec.cron, edited.spec.timeout, edited.spec.max_attempts) == (
        "0 3 * * *",
        timedelta(minutes=5),
        5,
    )


def test_new_schedules_take_the_retry_defaults_given_to_the_app(
    tmp_path: Path, clock: FakeClock
) -> None:
    defaults = domain.RetryDefaults(max_attempts=7, backoff_initial=timedelta(seconds=30))
    app = App(f"sqlite:///{tmp_path / 'app.db'}", clock=clock, retry_defaults=defaults)
    try:
        plain = app.schedule("nightly", "0 2 * * *", action="report")
        assert (plain.spec.max_attempts, plain.spec.backoff_initial) == (7, timedelta(seconds=30))
        own = app.schedule("hourly", "0 * * * *", action="report", max_attempts=2)
        assert (own.spec.max_attempts, own.spec.backoff_initial) == (2, timedelta(seconds=30))
        again = app.schedule("hourly", "0 * * * *", action="report")  # an upsert: no reset
        assert (again.version, again.spec.max_attempts) == (1, 2)
    finally:
        app.close()


def test_unknown_policies_are_refused_by_name(app: App) -> None:
    with pytest.raises(errors.InvalidInput, match="colour: is not a schedule policy"):
        app.schedule("x", "* * * * *", action="a", colour="red")
    with pytest.raises(errors.InvalidInput, match="overlap: 'never'"):
        app.schedule("x", "* * * * *", action="a", overlap="never")


def test_a_scheduled_action_runs_through_scheduler_worker_and_queue(
    app: App, clock: FakeClock
) -> None:
    """One pass of each loop by hand, with the fake clock: no threads, no sleeping."""
    seen: list[object] = []

    @app.action("greet")
    def greet(ctx: StepContext) -> str:
        seen.append(ctx.input["name"])
        return "hi"

    app.schedule("greet", "* * * * *", action="greet", input={"name": "ada"})
    assert app.scheduler.tick().pending == 0  # the first slot is a minute away
    clock.advance(timedelta(minutes=1))
    assert app.scheduler.tick().pending == 1
    [claimed] = app.worker.claim_once()
    app.worker.stop(timedelta(seconds=30))
    run = app.store.get_run(app.organization.id, claimed.id)
    assert (run.state, run.result, seen) == (domain.RunState.SUCCEEDED, {"greet": "hi"}, ["ada"])


def test_importing_the_cron_engine_does_not_load_the_app() -> None:
    probe = "import sys, cronwright.cron; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_scheduling_by_name_costs_the_same_however_many_schedules_exist(app: App) -> None:
    """``App.schedule`` finds the schedule (and its workflow) by name in one query each: the
    statements of a call do not grow with the schedules and workflows of the organization."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    def statements_of(call: Callable[[], object]) -> int:
        statements.clear()
        sa.event.listen(app.queue.engine, "before_cursor_execute", count)
        try:
            call()
        finally:
            sa.event.remove(app.queue.engine, "before_cursor_execute", count)
        return len(statements)

    app.schedule("job 1", "0 2 * * *", action="report")
    unchanged_few = statements_of(lambda: app.schedule("job 1", "0 2 * * *", action="report"))
    # More than three pages (of 50) of schedules and workflows; the newest one is on the last.
    for n in range(2, 161):
        app.schedule(f"job {n}", "0 2 * * *", action="report")
    unchanged_many = statements_of(lambda: app.schedule("job 160", "0 2 * * *", action="report"))
    assert unchanged_many == unchanged_few
    edited = statements_of(lambda: app.schedule("job 160", "0 3 * * *", action="report"))
    created = statements_of(lambda: app.schedule("job 1000", "0 2 * * *", action="report"))
    assert max(edited, created) <= 2 * unchanged_few + 10  # a few writes, no paging


def test_scheduling_by_name_takes_the_schedule_of_exactly_that_name(app: App) -> None:
    first = app.schedule("job 1", "0 2 * * *", action="report")
    longer = app.schedule("job 10", "0 2 * * *", action="report")
    again = app.schedule(" job 1 ", "0 2 * * *", action="report")
    assert again.id == first.id != longer.id
    app.service.schedules.delete(app.organization.id, first.id, author="test")
    recreated = app.schedule("job 1", "0 2 * * *", action="report")
    assert recreated.id not in (first.id, longer.id)


def test_an_unchanged_schedule_call_reads_its_workflow_and_schedule_once_and_writes_nothing(
    app: App,
) -> None:
    """Running the same script again is the common case (10,000 calls at each start of a
    large app): it reads what it compares, once, and writes nothing."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    app.schedule("job 1", "0 2 * * *", action="report", timezone="Europe/Paris", max_attempts=2)
    sa.event.listen(app.queue.engine, "before_cursor_execute", count)
    try:
        same = app.schedule(
            "job 1", "0 2 * * *", action="report", timezone="Europe/Paris", max_attempts=2
        )
    finally:
        sa.event.remove(app.queue.engine, "before_cursor_execute", count)
    assert same.version == 1
    work = [s.split()[0].upper() for s in statements if s.split()[0].upper() != "BEGIN"]
    assert work == ["SELECT"] * len(work)
    assert len(work) <= 4, statements
