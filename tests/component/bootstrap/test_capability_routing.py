"""Capability routing: a run is taken only by a worker that can execute every step of it; until
one is live, it waits with a reason, and it is never failed for want of a function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta

from typer.testing import CliRunner

from cronwright import App, domain
from cronwright.actions import StepContext
from cronwright.cli import app as cli_app
from cronwright.clock import SystemClock
from cronwright.engine.reaper import Reaper
from cronwright.service import triggers
from cronwright.store.slots import slot_ledger

State = domain.RunState
FAST = timedelta(milliseconds=50)
WAIT = 30.0


def _wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    pause = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        pause.wait(0.05)
    return False


def _app(url: str, *, only_here: bool) -> App:
    app = App(url, poll_interval=FAST)
    app.action("everywhere")(lambda ctx: "ok")
    if only_here:

        @app.action("only_here")
        def only(ctx: StepContext) -> str:
            return "here"

    app.reaper = Reaper(app.queue, SystemClock(), interval=FAST, live_window=timedelta(seconds=30))
    return app


def test_runs_wait_for_the_only_process_that_can_run_them(database_url: str) -> None:
    elsewhere = _app(database_url, only_here=False)
    schedule = elsewhere.schedule("needs only_here", "0 0 1 1 *", action="only_here")
    plain = elsewhere.schedule("runs anywhere", "0 0 1 1 *", action="everywhere")
    starter = triggers.Triggers(
        elsewhere.store, slot_ledger.SqlSlotLedger(elsewhere.store.engine), SystemClock()
    )
    org = elsewhere.organization.id
    waiting = [starter.trigger_now(org, schedule.id) for _ in range(6)]
    anywhere = starter.trigger_now(org, plain.id)

    waiting_reason = (
        "waiting for a worker that can run python function 'only_here' (no live worker can)"
    )

    def run(run_id: domain.RunId) -> domain.Run:
        return elsewhere.store.get_run(org, run_id)

    elsewhere.start()
    here: App | None = None
    try:
        # The process without the function runs what it can, and leaves the rest pending with
        # the reason: no live worker can run it.
        assert _wait_for(lambda: run(anywhere.id).state is State.SUCCEEDED)
        assert _wait_for(lambda: all(run(r.id).reason for r in waiting))
        for found in map(run, (r.id for r in waiting)):
            assert (found.state, found.attempt) == (State.PENDING, 0)
            assert found.reason == (
                "waiting for a worker that can run python function 'only_here' (no live worker can)"
            )
        # ``cronwright status`` shows the live worker, what it can run, and what waits.
        status = CliRunner().invoke(cli_app, ["status", "--url", database_url, "--json"])
        assert status.exit_code == 1, status.output
        shown = json.loads(status.stdout)
        [worker] = shown["workers"]
        assert worker["id"] == elsewhere.worker.worker_id
        assert "only_here" not in worker["capabilities"]["python_functions"]
        assert "everywhere" in worker["capabilities"]["python_functions"]
        assert "shell" not in worker["capabilities"]["kinds"]  # not enabled on this process
        assert shown["waiting_for_workers"] == {waiting_reason: 6}
        here = _app(database_url, only_here=True)
        here.start()
        assert _wait_for(lambda: all(run(r.id).state.is_terminal for r in waiting))
    finally:
        elsewhere.stop()
        if here is not None:
            here.stop()
    ended = [run(r.id) for r in waiting]
    assert here is not None
    assert {(r.state, r.attempt, r.worker_id, r.reason) for r in ended} == {
        (State.SUCCEEDED, 1, here.worker.worker_id, None)
    }
    elsewhere.close()
    here.close()
    done = CliRunner().invoke(cli_app, ["status", "--url", database_url, "--json"])
    assert done.exit_code == 0, done.output  # nothing waits, no loop failing
    assert json.loads(done.stdout)["waiting_for_workers"] == {}
