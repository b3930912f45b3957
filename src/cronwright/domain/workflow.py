"""Workflows: a DAG of steps, each naming an action kind and its config.

:func:`parse_definition` turns untrusted JSON into a :class:`WorkflowDefinition` or raises
:class:`~cronwright.errors.InvalidInput` naming the exact place at fault. Per-kind config checks
are plugged in by the caller (the actions registry), so this module knows structure only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cronwright import errors
from cronwright.domain import graph
from cronwright.domain.ids import OrganizationId, WorkflowId
from cronwright.domain.json_values import JsonObject, JsonValue, canonical_json

ACTION_KINDS = frozenset({"celery", "http", "python", "shell", "trigger"})
STEP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_STEPS = 100
MAX_STEP_TIMEOUT = timedelta(days=1)
MAX_STEP_RETRIES = 10
_STEP_KEYS = frozenset({"name", "kind", "config", "depends_on", "timeout", "retries"})


class ConfigCheck(Protocol):
    def __call__(self, kind: str, config: JsonObject) -> None:
        """Raise ``ValueError`` (pydantic's ``ValidationError`` is one) if ``config`` is wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    name: str
    kind: str
    config: JsonObject = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    timeout: timedelta | None = None  # per try; the run's remaining budget caps it anyway
    retries: int = 0  # more tries of this step within one attempt of the run

    def to_json(self) -> JsonObject:
        raw: JsonObject = {
            "name": self.name,
            "kind": self.kind,
            "config": self.config,
            "depends_on": list(self.depends_on),
        }
        # Only when set, so definitions saved before these fields existed compare equal.
        if self.timeout is not None:
            raw["timeout"] = self.timeout.total_seconds()
        if self.retries:
            raw["retries"] = self.retries
        return raw


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowDefinition:
    """Valid by construction when built by :func:`parse_definition`; steps in declared order."""

    steps: tuple[Step, ...]

    def to_json(self) -> JsonObject:
        return {"steps": [step.to_json() for step in self.steps]}

    @classmethod
    def from_json(cls, data: JsonObject) -> WorkflowDefinition:
        """Rebuild a definition that was validated when saved; untrusted input goes through
        :func:`parse_definition` instead."""
        raw_steps = data["steps"]
        assert isinstance(raw_steps, list)
        steps = []
        for raw in raw_steps:
            assert isinstance(raw, dict)
            config, depends_on = raw.get("config", {}), raw.get("depends_on", [])
            assert isinstance(config, dict)
            assert isinstance(depends_on, list)
            timeout, retries = raw.get("timeout"), raw.get("retries", 0)
            assert timeout is None or isinstance(timeout, int | float)
            assert isinstance(retries, int)
            steps.append(
                Step(
                    name=str(raw["name"]),
                    kind=str(raw["kind"]),
                    config=config,
                    depends_on=tuple(str(name) for name in depends_on),
                    timeout=None if timeout is None else timedelta(seconds=timeout),
                    retries=retries,
                )
            )
        return cls(steps=tuple(steps))


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    id: WorkflowId
    org_id: OrganizationId
    name: str
    definition: WorkflowDefinition
    version: int  # starts at 1, +1 on every update
    created_at: datetime
    updated_at: datetime


UNKNOWN_AUTHOR = "unknown"  # versions saved by callers that named nobody, or before history


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowVersion:
    """A workflow as one save left it: every version is kept, oldest first."""

    workflow_id: WorkflowId
    version: int
    name: str
    definition: WorkflowDefinition
    author: str
    created_at: datetime


def parse_definition(
    raw: object,
    *,
    field_name: str = "definition",
    kinds: Collection[str] = ACTION_KINDS,
    check_config: ConfigCheck | None = None,
) -> WorkflowDefinition:
    """Validate untrusted JSON: unique step names, known kinds, object configs, no dangling
    ``depends_on`` and no cycles. Errors name the field, e.g. ``definition.steps[2].kind``."""
    if not isinstance(raw, Mapping):
        raise errors.InvalidInput(field=field_name, message="must be a JSON object")
    unknown = sorted(set(raw) - {"steps"})
    if unknown:
        raise errors.InvalidInput(field=field_name, message=f"unknown key {unknown[0]!r}")
    raw_steps = raw.get("steps")
    steps_field = f"{field_name}.steps"
    if not isinstance(raw_steps, list):
        raise errors.InvalidInput(field=steps_field, message="must be a list of steps")
    if not raw_steps:
        raise errors.InvalidInput(field=steps_field, message="a workflow needs at least one step")
    if len(raw_steps) > MAX_STEPS:
        raise errors.InvalidInput(field=steps_field, message=f"at most {MAX_STEPS} steps")
    steps: list[Step] = []
    seen: set[str] = set()
    for index, raw_step in enumerate(raw_steps):
        step = _parse_step(raw_step, f"{steps_field}[{index}]", kinds, check_config)
        if step.name in seen:
            raise errors.InvalidInput(
                field=f"{steps_field}[{index}].name", message=f"duplicate step name {step.name!r}"
            )
        seen.add(step.name)
        steps.append(step)
    for index, step in enumerate(steps):
        for dependency in step.depends_on:
            if dependency not in seen:
                raise errors.InvalidInput(
                    field=f"{steps_field}[{index}].depends_on",
                    message=f"depends on unknown step {dependency!r}",
                )
    cycle = find_cycle(steps)
    if cycle:
        raise errors.InvalidInput(
            field=steps_field, message="dependency cycle: " + " -> ".join(cycle)
        )
    return WorkflowDefinition(steps=tuple(steps))


def _parse_step(
    raw: JsonValue | object,
    where: str,
    kinds: Collection[str],
    check_config: ConfigCheck | None,
) -> Step:
    if not isinstance(raw, Mapping):
        raise errors.InvalidInput(field=where, message="must be a JSON object")
    unknown = sorted(set(raw) - _STEP_KEYS)
    if unknown:
        raise errors.InvalidInput(field=where, message=f"unknown key {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not STEP_NAME.fullmatch(name):
        raise errors.InvalidInput(
            field=f"{where}.name", message="must be 1-64 letters, digits, '_' or '-'"
        )
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        known = ", ".join(sorted(kinds))
        raise errors.InvalidInput(
            field=f"{where}.kind", message=f"unknown step kind {kind!r}; known kinds: {known}"
        )
    config = raw.get("config", {})
    if not isinstance(config, dict) or not all(isinstance(key, str) for key in config):
        raise errors.InvalidInput(field=f"{where}.config", message="must be a JSON object")
    try:
        canonical_json(config)
    except (TypeError, ValueError):
        raise errors.InvalidInput(
            field=f"{where}.config", message="must hold JSON values only"
        ) from None
    if check_config is not None:
        try:
            check_config(kind, config)
        except ValueError as exc:
            raise errors.InvalidInput(field=f"{where}.config", message=str(exc)) from exc
    raw_depends_on = raw.get("depends_on", [])
    if not isinstance(raw_depends_on, list):
        raw_depends_on = [None]
    depends_on = [d for d in raw_depends_on if isinstance(d, str)]
    if len(depends_on) != len(raw_depends_on):
        raise errors.InvalidInput(
            field=f"{where}.depends_on", message="must be a list of step names"
        )
    if len(set(depends_on)) != len(depends_on):
        raise errors.InvalidInput(field=f"{where}.depends_on", message="lists a step twice")
    return Step(
        name=name,
        kind=kind,
        config=config,
        depends_on=tuple(depends_on),
        timeout=_parse_timeout(raw.get("timeout"), f"{where}.timeout"),
        retries=_parse_retries(raw.get("retries", 0), f"{where}.retries"),
    )


def _parse_timeout(raw: object, where: str) -> timedelta | None:
    """Seconds, a positive number up to :data:`MAX_STEP_TIMEOUT`; None (absent) means the run's."""
    if raw is None:
        return None
    limit = MAX_STEP_TIMEOUT.total_seconds()
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= limit:
        raise errors.InvalidInput(
            field=where, message=f"must be seconds, more than 0, up to {limit:g}"
        )
    return timedelta(seconds=raw)


def _parse_retries(raw: object, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_STEP_RETRIES:
        raise errors.InvalidInput(
            field=where, message=f"must be a whole number from 0 to {MAX_STEP_RETRIES}"
        )
    return raw


def find_cycle(steps: Collection[Step]) -> list[str] | None:
    """A dependency cycle as ``[a, b, ..., a]`` (first found in declared order), or None."""
    return graph.find_cycle({step.name: step.depends_on for step in steps})
