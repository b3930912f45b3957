"""The ``python`` action kind: call a function registered by name in this process.

Only names registered in code (:meth:`PythonFunctions.register`) can run; a workflow names a
function, never an import path, so API input cannot make the worker import anything.

A function takes the :class:`~cronwright.actions.base.StepContext` and returns the step's JSON
output (or a :class:`~cronwright.actions.base.StepOutcome`). ``async def`` functions run with
``asyncio.run`` in the worker's thread and are cancelled when ``ctx.stop`` is set (timeout,
cancellation); plain functions cannot be interrupted and should watch ``ctx.stop`` if they are long.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from cronwright import domain
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry

KIND = "python"
FUNCTION_NAME = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$"
_STOP_CHECK_SECONDS = 0.05

PythonFunction = Callable[[StepContext], Any]


class PythonConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    function: str = pydantic.Field(pattern=FUNCTION_NAME)


class PythonFunctions:
    """The functions this process may run, by name."""

    def __init__(self) -> None:
        self._functions: dict[str, PythonFunction] = {}
        self._lock = threading.Lock()

    def register(self, name: str, function: PythonFunction) -> None:
        PythonConfig(function=name)  # the same rule as a step's config
        with self._lock:
            existing = self._functions.get(name)
            if existing is not None and existing is not function:
                raise ValueError(f"a different python function is registered as {name!r}")
            self._functions[name] = function

    def get(self, name: str) -> PythonFunction | None:
        with self._lock:
            return self._functions.get(name)

    def names(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._functions)


@dataclass(frozen=True, slots=True)
class PythonAction:
    config: PythonConfig
    functions: PythonFunctions

    def run(self, ctx: StepContext) -> StepOutcome:
        function = self.functions.get(self.config.function)
        if function is None:
            return StepOutcome.failure(
                f"no python function named {self.config.function!r} is registered in this process"
            )
        if inspect.iscoroutinefunction(function):
            result = asyncio.run(_until_stopped(function(ctx), ctx.stop))
        else:
            result = function(ctx)
            if inspect.isawaitable(result):  # a sync wrapper that returned a coroutine
                result = asyncio.run(_until_stopped(result, ctx.stop))
        if isinstance(result, StepOutcome):
            return result
        return StepOutcome.success(_json(result))


def install(registry: ActionRegistry, functions: PythonFunctions) -> None:
    registry.register(KIND, PythonConfig, lambda config: PythonAction(config, functions))


async def _until_stopped(work: Awaitable[Any], stop: threading.Event) -> Any:
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task}, timeout=_STOP_CHECK_SECONDS)
        if stop.is_set() and not task.done():
            task.cancel()
    return task.result()


def _json(value: Any) -> domain.JsonValue:
    if value is None or isinstance(value, str | bool | int | float):
        return value  # JSON as it is (the common case: no encoding to check it)
    try:
        domain.canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the function returned a value that is not JSON: {exc}") from None
    return value  # type: ignore[no-any-return]
