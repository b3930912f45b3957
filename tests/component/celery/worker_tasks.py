"""The Celery app the test worker process runs (``celery -A worker_tasks worker``); the broker
and result backend come from ``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND``."""

from __future__ import annotations

import os
import threading
from typing import Any

import celery

app = celery.Celery(
    "worker_tasks",
    broker=os.environ.get("CELERY_BROKER_URL"),
    backend=os.environ.get("CELERY_RESULT_BACKEND"),
)


@app.task(bind=True, name="tests.echo")  # type: ignore[untyped-decorator]
def echo(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """What the task was sent: its id, args, kwargs and the queue it came through."""
    return {
        "id": self.request.id,
        "args": list(args),
        "kwargs": kwargs,
        "queue": (self.request.delivery_info or {}).get("routing_key"),
    }


@app.task(name="tests.boom")  # type: ignore[untyped-decorator]
def boom(message: str) -> None:
    raise ValueError(message)


@app.task(name="tests.slow")  # type: ignore[untyped-decorator]
def slow(seconds: float) -> str:
    threading.Event().wait(seconds)
    return "done"
