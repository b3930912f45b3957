"""A loop whose database access fails keeps going: it logs, backs off, /readyz says so, and once
the database answers again everything recovers by itself, with no slot lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from cronwright import App, domain
from cronwright.actions import StepContext
from cronwright.api import Container, create_app
from cronwright.engine.loop import LoopState
from cronwright.testing.server import ServerThread

WAIT = 30.0


def _wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    pause = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        pause.wait(0.05)
    return False


class _PoolOutage:
    """While on, every statement of the scheduler's thread fails as an exhausted pool does
    (SQLAlchemy's ``TimeoutError``, which is no ``DBAPIError``)."""

    def __init__(self, app: App) -> None:
        self.on = threading.Event()
        self.failed = 0
        event.listen(app.root.engine, "before_cursor_execute", self._before)

    def _before(self, *_args: Any) -> None:
        if self.on.is_set() and threading.current_thread().name == "cronwright-scheduler":
            self.failed += 1
            raise sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")


def test_the_scheduler_survives_a_failing_database_and_readyz_reports_it(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = App(database_url, poll_interval=timedelta(milliseconds=100))

    @app.action("tick")
    def tick(ctx: StepContext) -> None:
        pass

    schedule = app.schedule(
        "every second",
        "* * * * * *",
        action="tick",
        catchup="all",
        misfire_grace=timedelta(minutes=5),
    )
    outage = _PoolOutage(app)
    container = Container.from_root(app.root)
    caplog.set_level(logging.WARNING, logger="cronwright.engine.loop")
    with ServerThread(create_app(container)) as server, httpx.Client(base_url=server.url) as http:
        outage.on.set()
        app.start()
        try:
            assert _wait_for(lambda: http.get("/readyz").status_code == 503)
            unready = http.get("/readyz").json()
            assert "loop scheduler is failing" in unready["detail"]
            assert "TimeoutError" in unready["detail"]
            [scheduler] = [h for h in app.health() if h.name == "scheduler"]
            assert scheduler.state is LoopState.FAILING
            assert _wait_for(lambda: outage.failed >= 2)  # it tried again, after a backoff
            outage.on.clear()
            assert _wait_for(lambda: http.get("/readyz").status_code == 200)
            assert _wait_for(lambda: len(_runs(app, schedule)) >= 6)
        finally:
            app.stop()
    runs = _runs(app, schedule)
    app.close()
    assert any("loop scheduler failed" in record.getMessage() for record in caplog.records)
    slots = sorted(run.scheduled_for for run in runs)
    # Every second from the first slot to the last has exactly one run: none lost in the outage.
    assert slots == [slots[0] + timedelta(seconds=n) for n in range(len(slots))]
    assert {run.state for run in runs} <= {domain.RunState.SUCCEEDED, domain.RunState.PENDING}


def _runs(app: App, schedule: domain.Schedule) -> list[domain.Run]:
    where = domain.RunFilter(schedule_id=schedule.id)
    return list(app.store.list_runs(app.organization.id, where, before_id=None, limit=1000))
