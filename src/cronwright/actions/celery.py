"""The ``celery`` action kind: send a Celery task by name through the user's broker.

``send_task`` with ``args`` and ``kwargs`` (references filled in by the worker like any config),
to a ``queue`` or an ``exchange``/``routing_key``, with an optional ``priority``, ``countdown``
and ``expires``. The step's output is ``{"task_id": ..., "task": ...}``; with ``wait``, the worker
also waits up to ``wait_timeout`` seconds for the result (which needs a ``backend_url``), adds
``state`` and ``result``, and fails the step when the task failed or did not finish in time.

The task id is derived from the run, the attempt and the step (:func:`task_id_for`): executing
the same attempt again (execution is at-least-once) sends the same id, so a task can
deduplicate on ``self.request.id``; a new attempt has a new id.

Celery itself is optional (``pip install "cronwright[celery]"``): configs are checked without
it, and a step fails with a message saying so when it is missing. The broker and result backend
URLs may hold passwords: they never appear in outputs, errors or ``repr``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pydantic

from cronwright import domain
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry

KIND = "celery"
MAX_WAIT_SECONDS = 3600.0
_NAMESPACE = uuid.UUID("0f3f6f5e-5b1e-4c55-8a2b-6a3c2c7d9e01")
_BROKER_SCHEMES = (
    "redis://",
    "rediss://",
    "amqp://",
    "amqps://",
    "pyamqp://",
    "sqs://",
    "memory://",
)
_REFERENCE = "{{"


class CeleryConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    task: str = pydantic.Field(min_length=1, max_length=200, pattern=r"^[^\s{}]+$|\{\{")
    broker_url: str = pydantic.Field(min_length=1, max_length=2048, repr=False)
    backend_url: str | None = pydantic.Field(default=None, max_length=2048, repr=False)
    args: list[pydantic.JsonValue] = pydantic.Field(default_factory=list)
    kwargs: dict[str, pydantic.JsonValue] = pydantic.Field(default_factory=dict)
    queue: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    exchange: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    routing_key: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    priority: int | None = pydantic.Field(default=None, ge=0, le=255)
    countdown: float | None = pydantic.Field(default=None, ge=0, le=86400 * 30)
    expires: float | None = pydantic.Field(default=None, gt=0, le=86400 * 30)
    wait: bool = False
    wait_timeout: float = pydantic.Field(default=60.0, gt=0, le=MAX_WAIT_SECONDS)

    @pydantic.field_validator("broker_url")
    @classmethod
    def _broker_url(cls, url: str) -> str:
        if _REFERENCE not in url and not url.startswith(_BROKER_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(_BROKER_SCHEMES)}")
        return url

    @pydantic.model_validator(mode="after")
    def _wait_needs_backend(self) -> CeleryConfig:
        if self.wait and not self.backend_url:
            raise ValueError("wait: needs backend_url, where Celery stores results")
        return self


def task_id_for(ctx: StepContext) -> str:
    """The same for every execution of one attempt of one step; new for each attempt."""
    return str(uuid.uuid5(_NAMESPACE, f"{ctx.idempotency_key}:{ctx.step}"))


class CeleryApps:
    """One Celery app per (broker, backend), kept for the process: an app holds the broker
    connection pool, so steps to one broker reuse connections instead of opening one each."""

    def __init__(self) -> None:
        self._apps: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def get(self, broker_url: str, backend_url: str | None) -> Any:
        key = (broker_url, backend_url)
        with self._lock:
            app = self._apps.get(key)
            if app is None:
                import celery  # optional: the celery extra

                app = celery.Celery("cronwright", broker=broker_url, backend=backend_url)
                # A missing broker fails the step within its time instead of retrying forever.
                app.conf.broker_connection_retry_on_startup = False
                app.conf.broker_connection_max_retries = 1
                app.conf.broker_transport_options = {"max_retries": 1}
                self._apps[key] = app
            return app

    def close(self) -> None:
        with self._lock:
            apps, self._apps = list(self._apps.values()), {}
        for app in apps:
            app.close()


@dataclass(frozen=True, slots=True)
class CeleryAction:
    config: CeleryConfig
    apps: CeleryApps = field(default_factory=CeleryApps)

    def run(self, ctx: StepContext) -> StepOutcome:
        config = self.config
        try:
            # Results are read only when waiting; without a wait, no backend is touched.
            app = self.apps.get(config.broker_url, config.backend_url if config.wait else None)
        except ImportError:
            return StepOutcome.failure(
                'the celery step kind needs Celery on this worker: pip install "cronwright[celery]"'
            )
        task_id = task_id_for(ctx)
        options: dict[str, Any] = {
            name: value
            for name in ("queue", "exchange", "routing_key", "priority", "countdown", "expires")
            if (value := getattr(config, name)) is not None
        }
        try:
            result = app.send_task(
                config.task,
                args=list(config.args),
                kwargs=dict(config.kwargs),
                task_id=task_id,
                retry=False,
                **options,
            )
        except Exception as exc:  # kombu's errors vary by transport; none may leak the URL
            return StepOutcome.failure(f"sending {config.task!r}: {_describe(exc, config)}")
        output: domain.JsonObject = {"task_id": task_id, "task": config.task}
        if not config.wait:
            return StepOutcome.success(output)
        return _wait(result, output, min(config.wait_timeout, ctx.timeout.total_seconds()), config)


def _wait(
    result: Any, output: domain.JsonObject, timeout: float, config: CeleryConfig
) -> StepOutcome:
    import celery.exceptions

    try:
        value = result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False)
    except celery.exceptions.TimeoutError:
        return StepOutcome.failure(
            f"task {config.task!r} ({output['task_id']}) sent, but no result in {timeout:g} s"
        )
    except Exception as exc:
        return StepOutcome.failure(
            f"reading the result of {config.task!r}: {_describe(exc, config)}"
        )
    state = str(result.state)
    if state != "SUCCESS":
        return StepOutcome.failure(
            f"task {config.task!r} ({output['task_id']}) ended {state}: "
            f"{type(value).__name__}: {value}"
        )
    return StepOutcome.success({**output, "state": state, "result": _json(value)})


def _stop_listening(result: Any) -> None:
    """Unsubscribe from a result we no longer wait for now, while the backend is reachable;
    left to garbage collection, Celery would try it whenever that happens."""
    with contextlib.suppress(Exception):
        result.backend.remove_pending_result(result)


def _json(value: object) -> domain.JsonValue:
    """A task's result as JSON: JSON values as they are, anything else as its text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    return repr(value)


def _describe(exc: BaseException, config: CeleryConfig) -> str:
    """The error without the broker's or backend's URL or password, which may appear in it."""
    text = f"{type(exc).__name__}: {exc}"
    for url in (config.broker_url, config.backend_url):
        if url:
            text = text.replace(url, "<url>")
            password = urlsplit(url).password
            if password:
                text = text.replace(password, "<password>")
    return text


def install(registry: ActionRegistry, apps: CeleryApps | None = None) -> None:
    shared = apps or CeleryApps()

    def factory(config: CeleryConfig) -> CeleryAction:
        return CeleryAction(config, shared)

    registry.register(KIND, CeleryConfig, factory)
