"""The ``celery`` step kind against a real Redis broker and a real Celery worker process."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest

from cronwright import actions, domain
from cronwright.actions import celery as celery_kind
from cronwright.actions.base import RunContext, StepContext
from cronwright.testing.postgres import free_port
from tests.component.celery.conftest import QUEUE, Worker

_runs = itertools.count(
    10**6
)  # task ids derive from run ids: stay clear of runs made in a database


def context(*, attempt: int = 1, step: str = "send", timeout: float = 60) -> StepContext:
    return StepContext(
        run_id=domain.RunId(next(_runs)),
        attempt=attempt,
        step=step,
        input={},
        upstream={},
        timeout=timedelta(seconds=timeout),
        run=RunContext.bare(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), domain.Trigger.MANUAL),
    )


@pytest.fixture(scope="module")
def apps() -> Any:
    shared = celery_kind.CeleryApps()
    yield shared
    shared.close()


def action(apps: celery_kind.CeleryApps, worker: Worker, **config: Any) -> actions.Action:
    registry = actions.ActionRegistry()
    celery_kind.install(registry, apps)
    raw = {"broker_url": worker.broker_url, "backend_url": worker.backend_url, **config}
    return registry.build(domain.Step(name="send", kind="celery", config=raw))


def test_a_task_is_sent_with_its_args_kwargs_and_queue_and_its_id_is_the_output(
    apps: celery_kind.CeleryApps, worker: Worker, client: Any
) -> None:
    ctx = context()
    outcome = action(
        apps,
        worker,
        task="tests.echo",
        args=[1, "two", {"three": 3}],
        kwargs={"region": "eu", "n": None},
        queue=QUEUE,
    ).run(ctx)
    assert outcome.ok, outcome.error
    task_id = celery_kind.task_id_for(ctx)
    assert outcome.output == {"task_id": task_id, "task": "tests.echo"}
    # The worker process ran it: read its result from the backend.
    result = client.AsyncResult(task_id).get(timeout=60)
    assert result == {
        "id": task_id,
        "args": [1, "two", {"three": 3}],
        "kwargs": {"region": "eu", "n": None},
        "queue": QUEUE,
    }


def test_waiting_puts_the_result_in_the_output(
    apps: celery_kind.CeleryApps, worker: Worker
) -> None:
    outcome = action(
        apps, worker, task="tests.echo", args=[42], queue=QUEUE, wait=True, wait_timeout=60
    ).run(context())
    assert outcome.ok, outcome.error
    assert isinstance(outcome.output, dict)
    assert outcome.output["state"] == "SUCCESS"
    assert outcome.output["result"] == {
        "id": outcome.output["task_id"],
        "args": [42],
        "kwargs": {},
        "queue": QUEUE,
    }


def test_a_failed_task_fails_the_step_with_its_error(
    apps: celery_kind.CeleryApps, worker: Worker
) -> None:
    outcome = action(
        apps, worker, task="tests.boom", args=["disk full"], queue=QUEUE, wait=True
    ).run(context())
    assert outcome.error is not None
    assert "'tests.boom'" in outcome.error
    assert "FAILURE" in outcome.error
    assert "ValueError: disk full" in outcome.error


def test_a_result_later_than_the_wait_fails_the_step(
    apps: celery_kind.CeleryApps, worker: Worker, client: Any
) -> None:
    ctx = context()
    outcome = action(
        apps, worker, task="tests.slow", args=[2], queue=QUEUE, wait=True, wait_timeout=0.3
    ).run(ctx)
    assert outcome.error is not None
    assert "no result in 0.3 s" in outcome.error
    # It was sent all the same, and finishes on the worker.
    assert client.AsyncResult(celery_kind.task_id_for(ctx)).get(timeout=60) == "done"


def test_the_step_timeout_caps_the_wait(apps: celery_kind.CeleryApps, worker: Worker) -> None:
    outcome = action(
        apps, worker, task="tests.slow", args=[2], queue=QUEUE, wait=True, wait_timeout=600
    ).run(context(timeout=0.3))
    assert outcome.error is not None
    assert "no result in 0.3 s" in outcome.error


def test_a_task_on_a_queue_no_worker_reads_is_not_run(
    apps: celery_kind.CeleryApps, worker: Worker
) -> None:
    outcome = action(
        apps, worker, task="tests.echo", queue="nobody", wait=True, wait_timeout=1
    ).run(context())
    assert outcome.error is not None
    assert "no result in 1 s" in outcome.error


def test_the_task_id_is_stable_within_an_attempt_and_new_for_the_next() -> None:
    first = context(attempt=1)
    again = StepContext(**{**_fields(first)})
    retry = StepContext(**{**_fields(first), "attempt": 2})
    other_step = StepContext(**{**_fields(first), "step": "other"})
    assert celery_kind.task_id_for(first) == celery_kind.task_id_for(again)
    ids = {celery_kind.task_id_for(c) for c in (first, retry, other_step)}
    assert len(ids) == 3


def test_an_unreachable_broker_fails_the_step_without_showing_the_password(
    apps: celery_kind.CeleryApps,
) -> None:
    registry = actions.ActionRegistry()
    celery_kind.install(registry, apps)
    url = f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0"
    step = domain.Step(name="send", kind="celery", config={"task": "t", "broker_url": url})
    outcome = registry.build(step).run(context())
    assert outcome.error is not None
    assert outcome.error.startswith("sending 't': ")
    assert "s3cret-pw" not in outcome.error


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"task": "t", "broker_url": "http://x"}, "broker_url: must start with one of redis://"),
        ({"task": "t", "broker_url": "redis://x", "wait": True}, "wait: needs backend_url"),
        ({"task": "has space", "broker_url": "redis://x"}, "task: String should match"),
        ({"task": "t", "broker_url": "redis://x", "priority": 300}, "priority: Input should be"),
        ({"task": "t", "broker_url": "redis://x", "routing": "k"}, "routing: Extra inputs"),
    ],
)
def test_a_bad_config_is_refused_on_save_naming_the_field(
    config: dict[str, Any], message: str
) -> None:
    registry = actions.ActionRegistry()
    celery_kind.install(registry)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        registry.check_config("celery", config)


def test_the_config_repr_hides_the_broker_url() -> None:
    config = celery_kind.CeleryConfig(task="t", broker_url="redis://:pw@h/0")
    assert "pw" not in repr(config)
    with pytest.raises(pydantic.ValidationError):
        celery_kind.CeleryConfig(task="t", broker_url="redis://h/0", wait_timeout=0)


def _fields(ctx: StepContext) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id,
        "attempt": ctx.attempt,
        "step": ctx.step,
        "input": ctx.input,
        "upstream": ctx.upstream,
        "timeout": ctx.timeout,
        "run": ctx.run,
    }
