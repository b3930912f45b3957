"""Action kinds: each maps to a Pydantic config model (validated when a workflow is saved) and
a factory that builds the :class:`~cronwright.actions.base.Action` for one step.

``python`` is installed by :mod:`cronwright.actions.python`; ``http``, ``shell`` and ``trigger``
plug in the same way, with :meth:`ActionRegistry.register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pydantic

from cronwright import domain, errors
from cronwright.actions.base import Action

ConfigT = TypeVar("ConfigT", bound=pydantic.BaseModel)


class UnknownActionKind(errors.CronwrightError, LookupError):  # noqa: N818 - public name
    """A step names a kind this process has no action for."""

    def __init__(self, *, step: str, kind: str, known: frozenset[str]) -> None:
        listed = ", ".join(sorted(known)) or "none"
        super().__init__(f"step {step!r}: unknown action kind {kind!r} (installed: {listed})")
        self.step = step
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ActionKind(Generic[ConfigT]):
    name: str
    config_model: type[ConfigT]
    factory: Callable[[ConfigT], Action]
    # What the operator's settings add to the model when a workflow is saved (the outbound
    # policy, say); ValueError saying what is wrong.
    check: Callable[[ConfigT], None] | None = None

    def build(self, config: domain.JsonObject) -> Action:
        return self.factory(self.config_model.model_validate(config))


class ActionRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, ActionKind[Any]] = {}
        self._refused: set[str] = set()

    def register(
        self,
        name: str,
        config_model: type[ConfigT],
        factory: Callable[[ConfigT], Action],
        *,
        check: Callable[[ConfigT], None] | None = None,
        runnable: bool = True,
    ) -> None:
        """``runnable=False``: the kind is known (its configs are checked and refused with a
        reason) but this process cannot run it (``shell`` unless the operator enabled it)."""
        if name in self._kinds:
            raise ValueError(f"action kind {name!r} is already registered")
        self._kinds[name] = ActionKind(name, config_model, factory, check)
        if not runnable:
            self._refused.add(name)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._kinds)

    @property
    def runnable_kinds(self) -> frozenset[str]:
        """The kinds this process can execute: what its workers advertise."""
        return frozenset(self._kinds.keys() - self._refused)

    def check_config(self, kind: str, config: domain.JsonObject) -> None:
        """A :class:`~cronwright.domain.ConfigCheck`: ``ValueError`` with a readable message
        (``function: field required``) when ``config`` does not fit ``kind``."""
        found = self._kinds.get(kind)
        if found is None:
            listed = ", ".join(sorted(self._kinds)) or "none"
            raise ValueError(f"action kind {kind!r} is not installed here (installed: {listed})")
        try:
            validated = found.config_model.model_validate(config)
        except pydantic.ValidationError as exc:
            raise ValueError(describe_errors(exc)) from None
        if found.check is not None:
            found.check(validated)

    def build(self, step: domain.Step) -> Action:
        """The action for ``step``; ``UnknownActionKind`` naming the step if the kind is not
        installed. The config was validated on save; a config that no longer fits (the model
        changed since) raises ``InvalidInput`` naming the step."""
        found = self._kinds.get(step.kind)
        if found is None:
            raise UnknownActionKind(step=step.name, kind=step.kind, known=self.kinds)
        try:
            return found.build(step.config)
        except pydantic.ValidationError as exc:
            raise errors.InvalidInput(
                field=f"steps.{step.name}.config", message=describe_errors(exc)
            ) from None


def describe_errors(exc: pydantic.ValidationError) -> str:
    """Pydantic's errors as one line: ``function: Field required; timeout: ...``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        # An error about the whole config (no location) is already placed by the caller.
        message = error["msg"].removeprefix("Value error, ")  # our validators' own words
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
