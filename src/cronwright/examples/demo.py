"""The python actions of ``cronwright serve --demo``.

A module of actions for ``CRONWRIGHT_PYTHON_MODULES`` looks like this one: a ``register``
function that names each function it offers. Workflows refer to those names, never to import
paths, so API input cannot make a worker import anything.
"""

from __future__ import annotations

import hashlib

from cronwright.actions import PythonFunctions, StepContext

GREET = "demo.greet"
CHECKSUM = "demo.checksum"
SLEEP = "demo.sleep"


def greet(ctx: StepContext) -> dict[str, object]:
    name = ctx.input.get("name", "world")
    return {"message": f"hello, {name}", "run": int(ctx.run_id), "attempt": ctx.attempt}


def checksum(ctx: StepContext) -> dict[str, str]:
    """Digest of the run's input: a deterministic result to look at in the run's history."""
    digest = hashlib.sha256(repr(sorted(ctx.input.items())).encode()).hexdigest()
    return {"sha256": digest[:16]}


def sleep(ctx: StepContext) -> dict[str, float]:
    """Take ``input["seconds"]`` (default 1) to finish, or less if told to stop: a long job."""
    seconds = ctx.input.get("seconds", 1)
    if not isinstance(seconds, int | float):
        raise TypeError("input.seconds must be a number")
    stopped = ctx.stop.wait(float(seconds))
    if stopped:
        raise RuntimeError("stopped before the end")
    return {"slept": float(seconds)}


def register(functions: PythonFunctions) -> None:
    functions.register(GREET, greet)
    functions.register(CHECKSUM, checksum)
    functions.register(SLEEP, sleep)
