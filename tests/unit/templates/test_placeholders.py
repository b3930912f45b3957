"""Placeholders and parameters: pure code, no database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright import errors
from cronwright.domain import JsonValue
from cronwright.templates import Parameter, ParameterType, parse_template, placeholders

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


@given(st.dictionaries(names, json_scalars, min_size=1, max_size=5), st.data())
def test_a_whole_placeholder_keeps_the_value_and_its_type(
    values: dict[str, Any], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(values)))
    filled = placeholders.fill(
        {"a": f"{{{{ params.{name} }}}}", "b": [f"{{{{params.{name}}}}}"]}, values
    )
    assert filled == {"a": values[name], "b": [values[name]]}


@given(
    st.text(alphabet=st.characters(blacklist_characters="{}"), min_size=1, max_size=30),
    st.booleans() | st.integers() | st.text(max_size=20),
)
def test_text_around_a_placeholder_stays_and_the_value_becomes_text(
    around: str, value: Any
) -> None:
    filled = placeholders.fill(f"{around}{{{{ params.x }}}}{around}", {"x": value})
    shown = (
        {True: "true", False: "false"}.get(value, str(value))
        if isinstance(value, bool)
        else str(value)
    )
    assert filled == f"{around}{shown}{around}"


def test_the_run_s_own_references_are_left_for_the_worker() -> None:
    text = "{{ input.day }} for {{ params.who }} after {{ steps.a.output.id }}"
    assert placeholders.fill(text, {"who": "Ann"}) == (
        "{{ input.day }} for Ann after {{ steps.a.output.id }}"
    )


@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2190, 1, 1)), st.integers(0, 3650))
def test_day_filters_do_calendar_arithmetic(day: date, days: int) -> None:
    values: dict[str, JsonValue] = {"d": day.isoformat(), "n": days}
    assert placeholders.fill("{{ params.d | minus_days: params.n }}", values) == (
        (day - timedelta(days=days)).isoformat()
    )
    assert placeholders.fill("{{ params.d | plus_days: 1 }}", values) == (
        (day + timedelta(days=1)).isoformat()
    )


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (ParameterType.URL, "ftp://x", "must be an http:// or https:// URL"),
        (ParameterType.CRON, "61 * * * *", "minute: 61"),
        (ParameterType.TIMEZONE, "Mars/Olympus", "not an IANA time zone"),
        (ParameterType.DATE, "2026-02-30", "not a date"),
        (ParameterType.DURATION, "10 minutes", "not a duration"),
        (ParameterType.INTEGER, True, "whole number"),
        (ParameterType.INTEGER, 1.5, "whole number"),
        (ParameterType.BOOLEAN, "yes", "true or false"),
        (ParameterType.STRING, "  ", "must not be empty"),
        (ParameterType.STRING, "{{ input.secret }}", "must not contain"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_parameter(
    kind: ParameterType, value: object, message: str
) -> None:
    parameter = Parameter(name="p", type=kind, description="d", default=None, example=None)
    with pytest.raises(errors.InvalidInput) as caught:
        parameter.check(value)
    assert caught.value.field == "parameters.p"
    assert message in caught.value.message


@given(st.integers(-(10**12), 10**12))
def test_integers_typed_on_a_command_line_read_back(number: int) -> None:
    parameter = Parameter(name="n", type=ParameterType.INTEGER, description="d", default=1)
    assert parameter.from_text(str(number)) == number


MINIMAL: dict[str, Any] = {
    "name": "t",
    "description": "d",
    "parameters": [{"name": "url", "type": "url", "description": "d", "example": "https://e.org"}],
    "workflow": {"steps": [{"name": "s", "kind": "http", "config": {"url": "{{ params.url }}"}}]},
    "schedule": {"cron": "0 * * * *"},
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "Bad Name"}, "template.name", "lower-case"),
        ({"description": ""}, "template.description", "is required"),
        ({"colour": 1}, "template.colour", "unknown key"),
        ({"schedule": {"timezone": "UTC"}}, "template.schedule", "at least 'cron'"),
        (
            {"parameters": [{"name": "url", "type": "url", "description": "d"}]},
            "template.parameters[0]",
            "needs a default, or an example",
        ),
        (
            {"parameters": [{"name": "url", "type": "link", "description": "d"}]},
            "template.parameters[0].type",
            "is not one of",
        ),
        (
            {
                "parameters": [
                    *MINIMAL["parameters"],
                    {"name": "n", "type": "integer", "description": "d", "default": 1},
                ]
            },
            "template.parameters[1]",
            "is used nowhere",
        ),
        (
            {"schedule": {"cron": "{{ params.when }}"}},
            "template.schedule.cron",
            "names no declared parameter",
        ),
        (
            {"schedule": {"cron": "0 * * * *", "start_at": "{{ params.url | minus_days: 3 }}"}},
            "template.schedule.start_at",
            "takes a date parameter",
        ),
        (
            {"schedule": {"cron": "{{ params.url | days: 3 }}"}},
            "template.schedule.cron",
            "not a placeholder",
        ),
    ],
)
def test_a_malformed_template_is_refused_with_its_place(
    change: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        parse_template({**MINIMAL, **change})
    assert caught.value.field == field
    assert message in caught.value.message


def test_a_template_round_trips_through_its_document() -> None:
    template = parse_template(MINIMAL)
    assert parse_template(template.to_json()) == template
