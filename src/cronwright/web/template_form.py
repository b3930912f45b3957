"""The form that makes a workflow and a schedule from a template: one typed field per parameter
(its default filled in), the values read back as the parameter's JSON type, and each refusal of
the service placed next to the field it is about.

Field names: ``schedule_name``, ``workflow_name``, ``paused``, and ``p.<parameter>`` per
parameter; the service checks every value exactly as it does for the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cronwright import domain, errors, templates

PREFIX = "p."
ParameterType = templates.ParameterType
_TYPED = frozenset({ParameterType.INTEGER, ParameterType.NUMBER, ParameterType.BOOLEAN})
_INPUT_TYPES = {
    ParameterType.URL: "url",
    ParameterType.DATE: "date",
    ParameterType.INTEGER: "number",
    ParameterType.NUMBER: "number",
}
_HINTS = {
    ParameterType.CRON: "a cron expression, e.g. 0 9 * * MON-FRI",
    ParameterType.TIMEZONE: "an IANA zone, e.g. Europe/Berlin",
    ParameterType.DURATION: "e.g. 30s, 10m, 1h30m or 2d",
    ParameterType.DATE: "YYYY-MM-DD",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterField:
    """One parameter as a form field."""

    name: str  # the form field's name: p.<parameter>
    id: str  # the input's id: p-<parameter>
    label: str
    type: str  # the parameter's type, shown
    input_type: str  # text, url, date, number; "select" for choices and booleans
    description: str
    hint: str
    required: bool
    value: str
    options: tuple[str, ...]  # for a select
    minimum: str
    maximum: str
    step: str


def _text(value: domain.JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def defaults(template: templates.Template) -> dict[str, str]:
    """The form's values before anything is typed: each parameter's default."""
    return {PREFIX + p.name: _text(p.default) for p in template.parameters}


def fields(template: templates.Template, values: Mapping[str, str]) -> list[ParameterField]:
    found = []
    for p in template.parameters:
        options: tuple[str, ...] = ()
        if p.choices:
            options = tuple(_text(choice) for choice in p.choices)
        elif p.type is ParameterType.BOOLEAN:
            options = ("true", "false")
        found.append(
            ParameterField(
                name=PREFIX + p.name,
                id=f"p-{p.name}",
                label=p.name,
                type=p.type.value,
                input_type="select" if options else _INPUT_TYPES.get(p.type, "text"),
                description=p.description,
                hint=_HINTS.get(p.type, ""),
                required=p.required,
                value=values.get(PREFIX + p.name, ""),
                options=options,
                minimum="" if p.minimum is None else f"{p.minimum:g}",
                maximum="" if p.maximum is None else f"{p.maximum:g}",
                step="1" if p.type is ParameterType.INTEGER else "any",
            )
        )
    return found


def parameters(template: templates.Template, form: Mapping[str, str]) -> dict[str, object]:
    """The values typed, as the service takes them: numbers and booleans read as their type
    (``InvalidInput`` naming the parameter), text as typed; an empty field is left out, so the
    default applies or the service says the value is required."""
    given: dict[str, object] = {}
    for p in template.parameters:
        text = form.get(PREFIX + p.name, "").strip()
        if not text:
            continue
        given[p.name] = p.from_text(text) if p.type in _TYPED else text
    return given


def field_of(template: templates.Template, exc: errors.InvalidInput) -> str:
    """The form field an error is about: ``parameters.url`` is ``p.url``; a refusal of the
    rendered workflow or schedule goes to the parameter that filled the value at fault; ``""``
    for the form as a whole."""
    path = exc.field
    if path.startswith("parameters."):
        return PREFIX + path.removeprefix("parameters.")
    if path in ("name", "schedule_name"):
        return "schedule_name"
    if path == "workflow_name":
        return "workflow_name"
    section, _, inner = path.partition(".")
    if section in ("workflow", "schedule"):
        used = template.parameters_at(section, inner)
        if used:
            return PREFIX + used[0]
    return ""


def name_taken_field(exc: errors.NameTaken, form: Mapping[str, str]) -> str:
    """A workflow named as the schedule is the schedule name's problem unless the workflow was
    given a name of its own."""
    if exc.kind == "workflow" and form.get("workflow_name", "").strip():
        return "workflow_name"
    return "schedule_name"
