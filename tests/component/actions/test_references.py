"""The reference syntax: a dotted path walked over JSON, nothing evaluated."""

from __future__ import annotations

import pytest

from cronwright import domain, errors
from cronwright.actions import references

SCOPE = references.scope_for(
    {"customer_id": 42, "tags": ["a", "b"], "name": "Ada"},
    {"fetch": {"status": 200, "body": {"id": 7, "items": [{"sku": "X1"}], "ok": True}}},
)


def test_a_whole_string_reference_keeps_the_json_type() -> None:
    config: domain.JsonValue = {
        "id": "{{ input.customer_id }}",
        "tags": "{{input.tags}}",
        "body": "{{ steps.fetch.output.body }}",
        "sku": "{{ steps.fetch.output.body.items.0.sku }}",
    }
    assert references.resolve(config, SCOPE) == {
        "id": 42,
        "tags": ["a", "b"],
        "body": {"id": 7, "items": [{"sku": "X1"}], "ok": True},
        "sku": "X1",
    }


def test_embedded_references_become_text() -> None:
    text = (
        "https://api.test/c/{{ input.customer_id }}"
        "?ok={{ steps.fetch.output.body.ok }}&n={{ input.name }}"
    )
    assert references.resolve([text], SCOPE) == ["https://api.test/c/42?ok=true&n=Ada"]


def test_a_string_that_starts_and_ends_with_references_is_text() -> None:
    text = "{{ input.name }}/{{ input.customer_id }}"
    assert references.resolve(text, SCOPE) == "Ada/42"


def test_strings_without_references_and_other_values_are_unchanged() -> None:
    config: domain.JsonValue = {"a": "plain {text}", "b": 1.5, "c": None, "d": [True]}
    assert references.resolve(config, SCOPE) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ input.missing }}", "{{ input.missing }}: input has no key 'missing'"),
        (
            "{{ input.tags.5 }}",
            "{{ input.tags.5 }}: input.tags (a list of 2) has no index '5'",
        ),
        (
            "{{ input.customer_id.x }}",
            "{{ input.customer_id.x }}: input.customer_id is 42, not an object or list, so it "
            "has no 'x'",
        ),
        (
            "id={{ steps.other.output }}",
            "{{ steps.other.output }}: steps has no key 'other'",
        ),
    ],
)
def test_a_reference_to_nothing_fails_naming_the_missing_part(text: str, message: str) -> None:
    with pytest.raises(references.InvalidReferenceError) as raised:
        references.resolve(text, SCOPE)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"url": "{{ input.a + 1 }}"},
            "url: {{ input.a + 1 }} is not a reference: write a dotted path (input.id)",
        ),
        (
            {"h": {"x": "{{ __import__('os') }}"}},
            "h.x: {{ __import__('os') }} is not a reference: write a dotted path (input.id)",
        ),
        ({"u": "{{ env.HOME }}"}, "u: {{ env.HOME }}: a reference starts with input, steps or run"),
        (
            {"u": ["{{ steps.fetch.body }}"]},
            "u[0]: {{ steps.fetch.body }}: write steps.<name>.output, then an optional path",
        ),
    ],
)
def test_malformed_references_are_refused_on_save(config: domain.JsonObject, message: str) -> None:
    definition = domain.parse_definition(
        {"steps": [{"name": "a", "kind": "http", "config": config}]}
    )
    with pytest.raises(errors.InvalidInput) as raised:
        references.check_definition(definition)
    assert raised.value.field == "definition.steps[0].config"
    assert raised.value.message == message


def definition_with(reference: str) -> domain.WorkflowDefinition:
    return domain.parse_definition(
        {
            "steps": [
                {"name": "fetch", "kind": "http"},
                {"name": "side", "kind": "http"},
                {"name": "mid", "kind": "http", "depends_on": ["fetch"]},
                {"name": "last", "kind": "http", "depends_on": ["mid"], "config": {"x": reference}},
            ]
        }
    )


def test_a_step_may_read_any_step_upstream_of_it_directly_or_not() -> None:
    references.check_definition(definition_with("{{ steps.mid.output }}"))
    references.check_definition(definition_with("{{ steps.fetch.output.body.id }}"))


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("{{ steps.side.output }}", "not among its depends_on"),
        ("{{ steps.last.output }}", "not among its depends_on"),
        ("{{ steps.nope.output }}", "no such step"),
    ],
)
def test_reading_a_step_that_is_not_upstream_is_refused_on_save(
    reference: str, reason: str
) -> None:
    with pytest.raises(errors.InvalidInput) as raised:
        references.check_definition(definition_with(reference))
    assert raised.value.field == "definition.steps[3].config"
    assert reason in raised.value.message


def test_run_references_read_the_slot_and_name_only_known_fields() -> None:
    scope = references.scope_for(
        {}, {}, run={"date_local": "2025-03-30", "schedule": {"id": 3, "name": None}}
    )
    assert references.resolve("/r/{{ run.date_local }}", scope) == "/r/2025-03-30"
    assert references.resolve("{{ run.schedule.name }}", scope) is None
    with pytest.raises(references.InvalidReferenceError, match="a run reference is one of"):
        references.parse("{{ run.schedule }}")
