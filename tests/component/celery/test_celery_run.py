"""A workflow with ``celery`` steps run by the engine's executor: references fill in the task's
arguments, and the task id (and, waiting, the result) is the step's recorded output."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cronwright import actions, domain
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog
from tests.component.celery.conftest import QUEUE, Worker
from tests.component.engine.conftest import Bench
from tests.conftest import fresh_database_url


@pytest.fixture
def bench(request: pytest.FixtureRequest, tmp_path: Path, t0: datetime) -> Iterator[Bench]:
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    built = Bench(store, FakeClock(t0))
    actions.install_default_actions(built.registry, allow_shell=False, trigger_port=None)
    yield built
    store.close()


def test_a_run_sends_tasks_with_referenced_arguments_and_records_their_ids(
    bench: Bench, worker: Worker
) -> None:
    broker = {"broker_url": worker.broker_url, "backend_url": worker.backend_url, "queue": QUEUE}
    run = bench.run(
        [
            {
                "name": "send",
                "kind": "celery",
                "config": {**broker, "task": "tests.echo", "args": ["{{ input.region }}"]},
            },
            {
                "name": "follow",
                "kind": "celery",
                "depends_on": ["send"],
                "config": {
                    **broker,
                    "task": "tests.echo",
                    "kwargs": {"after": "{{ steps.send.output.task_id }}"},
                    "wait": True,
                },
            },
        ],
        region="eu-west",
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is domain.RunState.SUCCEEDED, outcome
    send, follow = bench.steps(run)
    assert isinstance(send.output, dict)
    assert isinstance(follow.output, dict)
    assert send.output["task"] == "tests.echo"
    assert follow.output["result"] == {
        "id": follow.output["task_id"],
        "args": [],
        "kwargs": {"after": send.output["task_id"]},
        "queue": QUEUE,
    }
