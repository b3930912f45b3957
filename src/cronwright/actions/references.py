"""References inside a step's config: ``{{ input.customer_id }}``, ``{{ steps.fetch.output.id }}``.

A reference is a dotted path, walked over plain JSON: no expressions, no filters, no code. A
string that is exactly one reference takes the referenced value with its JSON type; references
embedded in a longer string are replaced by their text (strings as they are, anything else as
compact JSON). Path parts are object keys, or list indexes written as numbers (``items.0``).

Roots: ``input`` (the run's input), ``steps.<name>.output`` (the output of a step the
referring step depends on, directly or through others; checked when the workflow is saved) and
``run.<field>``: the slot the run is for (:data:`RUN_FIELDS`; instants as ISO 8601 text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cronwright import domain, errors
from cronwright.domain import graph

_BRACES = re.compile(r"\{\{([^{}]*)\}\}")
_PATH = re.compile(r"\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*")
ROOTS = ("input", "steps", "run")
# What ``run.`` references may name: the keys of ``RunContext.as_json()``.
RUN_FIELDS = (
    "scheduled_for",
    "scheduled_for_local",
    "date_local",
    "interval_start",
    "interval_start_local",
    "timezone",
    "trigger",
    "schedule.id",
    "schedule.name",
)


class InvalidReferenceError(ValueError):
    """A reference that is malformed (found on save) or names nothing (found when running)."""


@dataclass(frozen=True, slots=True)
class Reference:
    text: str  # as written, braces included
    path: tuple[str, ...]

    @property
    def step(self) -> str | None:
        """The step whose output this reads, for ``steps.<name>.output...``."""
        return self.path[1] if self.path[0] == "steps" else None


def parse(text: str) -> Reference:
    inner = text[2:-2]
    found = _PATH.fullmatch(inner)
    if found is None:
        raise InvalidReferenceError(f"{text} is not a reference: write a dotted path (input.id)")
    path = tuple(found.group(1).split("."))
    if path[0] not in ROOTS:
        raise InvalidReferenceError(f"{text}: a reference starts with input, steps or run")
    if path[0] == "steps" and (len(path) < 3 or path[2] != "output"):
        raise InvalidReferenceError(f"{text}: write steps.<name>.output, then an optional path")
    if path[0] == "run" and ".".join(path[1:]) not in RUN_FIELDS:
        known = ", ".join(f"run.{name}" for name in RUN_FIELDS)
        raise InvalidReferenceError(f"{text}: a run reference is one of {known}")
    return Reference(text, path)


def references_in(value: domain.JsonValue) -> Iterator[tuple[str, Reference]]:
    """Every reference in the strings of ``value``, with where it is (``headers.Authorization``).
    Raises :class:`InvalidReferenceError` for a malformed one."""
    for where, text in _strings(value, ""):
        for match in _BRACES.finditer(text):
            try:
                yield where, parse(match.group(0))
            except InvalidReferenceError as exc:
                raise InvalidReferenceError(f"{where or 'config'}: {exc}") from None


def mentions_any(value: domain.JsonValue) -> bool:
    """Whether a string of ``value`` may hold a reference (a cheap look before a resolve)."""
    return any("{{" in text for _, text in _strings(value, ""))


def resolve(value: domain.JsonValue, scope: Mapping[str, domain.JsonValue]) -> domain.JsonValue:
    """``value`` with every reference replaced from ``scope`` (``{"input": ..., "steps": ...}``).
    Raises :class:`InvalidReferenceError` naming the reference and the missing part."""
    if isinstance(value, str):
        return _resolve_string(value, scope)
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, scope) for key, item in value.items()}
    return value


def scope_for(
    run_input: domain.JsonObject,
    outputs: Mapping[str, domain.JsonValue],
    *,
    run: domain.JsonObject | None = None,
) -> dict[str, domain.JsonValue]:
    """What references read; ``run`` is ``RunContext.as_json()`` (absent: no ``run.`` root)."""
    scope: dict[str, domain.JsonValue] = {
        "input": run_input,
        "steps": {name: {"output": output} for name, output in outputs.items()},
    }
    if run is not None:
        scope["run"] = run
    return scope


def _resolve_string(text: str, scope: Mapping[str, domain.JsonValue]) -> domain.JsonValue:
    whole = _BRACES.fullmatch(text)
    if whole is not None:
        return _lookup(parse(text), scope)
    if "{{" not in text:
        return text
    return _BRACES.sub(lambda match: _as_text(_lookup(parse(match.group(0)), scope)), text)


def _lookup(reference: Reference, scope: Mapping[str, domain.JsonValue]) -> domain.JsonValue:
    current: domain.JsonValue = dict(scope)
    walked: list[str] = []
    for part in reference.path:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise InvalidReferenceError(
                f"{reference.text}: {'.'.join(walked)} {_has_no(current)} {part!r}"
            )
        walked.append(part)
    return current


def _has_no(value: domain.JsonValue) -> str:
    if isinstance(value, dict):
        return "has no key"
    if isinstance(value, list):
        return f"(a list of {len(value)}) has no index"
    return f"is {json.dumps(value)[:40]}, not an object or list, so it has no"


def _as_text(value: domain.JsonValue) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _strings(value: domain.JsonValue, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else key)


def check_definition(
    definition: domain.WorkflowDefinition, *, field_name: str = "definition"
) -> None:
    """Refuse malformed references and references to steps that are not (transitive)
    dependencies: their output would not exist yet when the step runs. ``InvalidInput`` names
    the step's config."""
    by_name = {step.name: step for step in definition.steps}
    for index, step in enumerate(definition.steps):
        where = f"{field_name}.steps[{index}].config"
        upstream = ancestors(step.name, by_name)
        try:
            found = list(references_in(step.config))
        except InvalidReferenceError as exc:
            raise errors.InvalidInput(field=where, message=str(exc)) from None
        for place, reference in found:
            name = reference.step
            if name is not None and name not in upstream:
                reason = "no such step" if name not in by_name else "not among its depends_on"
                raise errors.InvalidInput(
                    field=where,
                    message=f"{place}: {reference.text} reads step {name!r}: {reason} "
                    "(directly or through other steps)",
                )


def ancestors(name: str, steps: Mapping[str, domain.Step]) -> set[str]:
    """The steps ``name`` depends on, directly or through others."""
    return graph.reachable(name, {step: d.depends_on for step, d in steps.items()})
