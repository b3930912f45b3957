"""Engine tests run real components on a SQLite file: a store, the run queue, the registry."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.conftest import fresh_database_url
from tests.support.rows import add_run

from cronwright import actions, domain
from cronwright.clock import FakeClock
from cronwright.engine.executor import Executor
from cronwright.engine.worker import Worker
from cronwright.store.catalog import sql_catalog
from cronwright.store.run_queue import sql_queue


class Bench:
    """An organization, a function registry and helpers to make runs of python workflows."""

    def __init__(self, store: sql_catalog.SqlCatalog, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.functions = actions.PythonFunctions()
        self.registry = actions.default_registry(self.functions)
        self.queue = sql_queue.SqlRunQueue(store.engine, unit_random=lambda: 1.0)
        self.executor = Executor(self.registry, clock, self.queue)
        self._workflow_numbers = itertools.count(1)
        self.org = store.create_organization(
            name="acme", max_schedules=10, max_concurrent_runs=50, now=clock.now()
        )

    def run(
        self, steps: list[dict[str, object]], *, max_attempts: int = 3, **input: object
    ) -> domain.Run:
        definition = domain.parse_definition(
            {"steps": steps}, kinds=self.registry.kinds, check_config=self.registry.check_config
        )
        workflow = self.store.add_workflow(
            org_id=self.org.id,
            name=f"w{next(self._workflow_numbers)}",  # names are unique in an organization
            definition=definition,
            now=self.clock.now(),
        )
        added = add_run(
            self.store,
            domain.NewRun(
                org_id=self.org.id,
                workflow_id=workflow.id,
                schedule_id=None,
                schedule_version_id=None,
                trigger=domain.Trigger.MANUAL,
                scheduled_for=self.clock.now(),
                available_at=self.clock.now(),
                max_attempts=max_attempts,
                created_at=self.clock.now(),
                input=dict(input),  # type: ignore[arg-type]
            ),
        )
        assert added is not None
        return added

    def claim(self, run: domain.Run) -> domain.ClaimedRun:
        [claimed] = self.queue.claim("w1", now=self.clock.now(), limit=1)
        assert claimed.id == run.id
        return claimed

    def get(self, run: domain.Run) -> domain.Run:
        return self.store.get_run(self.org.id, run.id)

    def steps(self, run: domain.Run) -> list[domain.RunStep]:
        return self.store.list_run_steps(self.org.id, run.id)


def wait_until_idle(pool: Worker) -> None:
    """Wait (10 s at most) until ``pool`` has no run in flight."""
    for _ in range(1000):
        if pool.active == 0:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{pool.active} run(s) still in flight")


def python_step(name: str, function: str, *depends_on: str) -> dict[str, object]:
    return {
        "name": name,
        "kind": "python",
        "config": {"function": function},
        "depends_on": list(depends_on),
    }


@pytest.fixture
def bench(request: pytest.FixtureRequest, tmp_path: Path, t0: datetime) -> Iterator[Bench]:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    yield Bench(store, FakeClock(t0))
    store.close()
