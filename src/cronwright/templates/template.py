"""A template: a workflow definition and a schedule, with typed parameters filled in on use.

:func:`parse_template` checks a template's structure (its parameters, that every placeholder
names a declared parameter and every parameter is used, and that every parameter has a default
or an example so the whole template can be tried). :meth:`Template.render` fills in values.
What the rendered workflow and schedule mean is checked by the same code that checks any saved
workflow and schedule (the service), so a template can never make what the API would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cronwright import errors
from cronwright.domain import JsonObject, JsonValue
from cronwright.templates import placeholders
from cronwright.templates.parameters import (
    PARAMETER_NAME,
    Parameter,
    ParameterType,
    resolve_values,
)

TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_TOP_KEYS = frozenset({"name", "version", "description", "parameters", "workflow", "schedule"})
_PARAMETER_KEYS = frozenset(
    {"name", "type", "description", "default", "example", "choices", "minimum", "maximum"}
)
_MAX_DESCRIPTION = 4000


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """A template with its values filled in: still to be validated by the service."""

    workflow: JsonObject  # {"steps": [...]}
    schedule: JsonObject  # schedule fields as written (cron, timezone, durations as text, ...)
    values: dict[str, JsonValue]  # every parameter's value, defaults included


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    name: str
    version: int
    description: str
    parameters: tuple[Parameter, ...]
    workflow: JsonObject
    schedule: JsonObject

    def to_json(self) -> JsonObject:
        """The template as its document (what an organization saves, and what ``show`` prints)."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "parameters": [
                {key: value for key, value in p.to_json().items() if key != "required"}
                for p in self.parameters
            ],
            "workflow": self.workflow,
            "schedule": self.schedule,
        }

    def example_values(self) -> dict[str, JsonValue]:
        """Values for the required parameters, from their examples: enough to try the template."""
        return {p.name: p.example for p in self.parameters if p.required}

    def render(self, given: Mapping[str, object]) -> Rendered:
        values = resolve_values(self.parameters, given)
        workflow = placeholders.fill(self.workflow, values)
        schedule = placeholders.fill(self.schedule, values)
        assert isinstance(workflow, dict)
        assert isinstance(schedule, dict)
        return Rendered(workflow=workflow, schedule=schedule, values=values)

    def parameters_at(self, section: str, field: str) -> list[str]:
        """Parameters used in ``section`` (``workflow`` or ``schedule``) at ``field``, a path as
        the service's errors write it (``steps[1].config``, ``cron``): to say which parameter a
        refusal comes from."""
        raw: object = self.workflow if section == "workflow" else self.schedule
        for part in re.findall(r"[^.\[\]]+", field):
            if isinstance(raw, Mapping) and part in raw:
                raw = raw[part]
            elif isinstance(raw, list) and part.isdigit() and int(part) < len(raw):
                raw = raw[int(part)]
            else:
                break
        return placeholders.parameters_in(raw)


def parse_template(raw: object, *, field: str = "template") -> Template:
    """Check a template document; ``InvalidInput`` names the place at fault
    (``template.parameters[1].type``)."""
    if not isinstance(raw, Mapping):
        raise errors.InvalidInput(field=field, message="must be a mapping")
    _no_unknown(raw, _TOP_KEYS, field)
    name = raw.get("name")
    if not isinstance(name, str) or not TEMPLATE_NAME.fullmatch(name):
        raise errors.InvalidInput(
            field=f"{field}.name",
            message="must be 1-64 lower-case letters, digits or '-', not starting with '-'",
        )
    version = raw.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise errors.InvalidInput(field=f"{field}.version", message="must be a whole number >= 1")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise errors.InvalidInput(field=f"{field}.description", message="is required")
    if len(description) > _MAX_DESCRIPTION:
        raise errors.InvalidInput(
            field=f"{field}.description", message=f"at most {_MAX_DESCRIPTION} characters"
        )
    parameters = _parameters(raw.get("parameters", []), f"{field}.parameters")
    workflow = raw.get("workflow")
    if not isinstance(workflow, Mapping) or not isinstance(workflow.get("steps"), list):
        raise errors.InvalidInput(
            field=f"{field}.workflow", message="must be a mapping with a list of 'steps'"
        )
    schedule = raw.get("schedule")
    if not isinstance(schedule, Mapping) or "cron" not in schedule:
        raise errors.InvalidInput(
            field=f"{field}.schedule", message="must be a mapping with at least 'cron'"
        )
    template = Template(
        name=name,
        version=version,
        description=description.strip(),
        parameters=parameters,
        workflow=_json(workflow, f"{field}.workflow"),
        schedule=_json(schedule, f"{field}.schedule"),
    )
    _check_placeholders(template, field)
    return template


def _parameters(raw: object, field: str) -> tuple[Parameter, ...]:
    if not isinstance(raw, list):
        raise errors.InvalidInput(field=field, message="must be a list")
    found: list[Parameter] = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        parameter = _parameter(item, where)
        if any(p.name == parameter.name for p in found):
            raise errors.InvalidInput(
                field=f"{where}.name", message=f"parameter {parameter.name!r} is declared twice"
            )
        found.append(parameter)
    return tuple(found)


def _parameter(raw: object, where: str) -> Parameter:
    if not isinstance(raw, Mapping):
        raise errors.InvalidInput(field=where, message="must be a mapping")
    _no_unknown(raw, _PARAMETER_KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
        raise errors.InvalidInput(
            field=f"{where}.name", message="must be lower-case letters, digits or '_'"
        )
    try:
        kind = ParameterType(raw.get("type", "string"))
    except ValueError:
        known = ", ".join(member.value for member in ParameterType)
        raise errors.InvalidInput(
            field=f"{where}.type", message=f"{raw.get('type')!r} is not one of {known}"
        ) from None
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise errors.InvalidInput(field=f"{where}.description", message="is required")
    bounds: dict[str, float | None] = {}
    for bound in ("minimum", "maximum"):
        value = raw.get(bound)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise errors.InvalidInput(field=f"{where}.{bound}", message="must be a number")
        if value is not None and kind not in (ParameterType.INTEGER, ParameterType.NUMBER):
            raise errors.InvalidInput(
                field=f"{where}.{bound}", message="only integer and number parameters have bounds"
            )
        bounds[bound] = value
    choices = raw.get("choices", [])
    if not isinstance(choices, list):
        raise errors.InvalidInput(field=f"{where}.choices", message="must be a list")
    unchecked = Parameter(
        name=name,
        type=kind,
        description=description.strip(),
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
    )
    checked_choices = tuple(
        unchecked.check(choice, field=f"{where}.choices[{i}]") for i, choice in enumerate(choices)
    )
    unchecked = Parameter(
        name=name,
        type=kind,
        description=description.strip(),
        choices=checked_choices,
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
    )
    default = raw.get("default")
    example = raw.get("example")
    if default is not None:
        default = unchecked.check(default, field=f"{where}.default")
    if example is not None:
        example = unchecked.check(example, field=f"{where}.example")
    if default is None and example is None:
        raise errors.InvalidInput(
            field=where,
            message=f"parameter {name!r} needs a default, or an example if it is required, "
            "so that the template can be checked whole",
        )
    return Parameter(
        name=name,
        type=kind,
        description=description.strip(),
        default=default,
        example=example,
        choices=checked_choices,
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
    )


def _check_placeholders(template: Template, field: str) -> None:
    declared = {p.name: p for p in template.parameters}
    used: set[str] = set()
    for section in ("workflow", "schedule"):
        for where, placeholder in placeholders.placeholders_in(
            getattr(template, section), f"{field}.{section}"
        ):
            for name in placeholder.parameters:
                if name not in declared:
                    raise errors.InvalidInput(
                        field=where, message=f"{placeholder.text} names no declared parameter"
                    )
                used.add(name)
            if placeholder.filter is not None:
                date_type = declared[placeholder.name].type is ParameterType.DATE
                days_type = placeholder.days_param is None or (
                    declared[placeholder.days_param].type is ParameterType.INTEGER
                )
                if not (date_type and days_type):
                    raise errors.InvalidInput(
                        field=where,
                        message=f"{placeholder.text}: {placeholder.filter} takes a date parameter "
                        "and a whole number (or an integer parameter) of days",
                    )
    for index, parameter in enumerate(template.parameters):
        if parameter.name not in used:
            raise errors.InvalidInput(
                field=f"{field}.parameters[{index}]",
                message=f"parameter {parameter.name!r} is used nowhere",
            )


def _no_unknown(raw: Mapping[Any, Any], known: frozenset[str], where: str) -> None:
    for key in raw:
        if key not in known:
            listed = ", ".join(sorted(known))
            raise errors.InvalidInput(
                field=f"{where}.{key}", message=f"unknown key {key!r}; known keys: {listed}"
            )


def _json(value: Mapping[Any, Any], where: str) -> JsonObject:
    """A plain JSON copy; YAML's dates and other non-JSON values are refused with their place."""
    checked = _json_value(value, where)
    assert isinstance(checked, dict)
    return checked


def _json_value(value: object, where: str) -> JsonValue:
    if isinstance(value, Mapping):
        copied: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise errors.InvalidInput(field=where, message=f"key {key!r} must be text")
            copied[key] = _json_value(item, f"{where}.{key}")
        return copied
    if isinstance(value, list):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise errors.InvalidInput(field=where, message=f"{value!r} is not a JSON value; quote it")
