from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright import domain, errors


def step(name: str, *depends_on: str, kind: str = "http", **config: object) -> dict[str, object]:
    return {"name": name, "kind": kind, "config": dict(config), "depends_on": list(depends_on)}


@st.composite
def dags(draw: st.DrawFn) -> dict[str, object]:
    """Random valid definitions: each step may depend on any of the steps declared before it."""
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )
    steps = []
    for index, name in enumerate(names):
        depends_on = draw(st.lists(st.sampled_from(names[:index]), unique=True)) if index else []
        kind = draw(st.sampled_from(sorted(domain.ACTION_KINDS)))
        config = draw(
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)
        )
        steps.append({"name": name, "kind": kind, "config": config, "depends_on": depends_on})
    return {"steps": steps}


@given(dags())
def test_a_valid_definition_survives_a_json_round_trip(raw: dict[str, object]) -> None:
    parsed = domain.parse_definition(raw)
    assert parsed.to_json() == raw
    assert domain.WorkflowDefinition.from_json(parsed.to_json()) == parsed
    assert domain.parse_definition(parsed.to_json()) == parsed


@given(dags(), st.data())
def test_an_edge_back_to_an_ancestor_is_reported_as_a_cycle(
    raw: dict[str, object], data: st.DataObject
) -> None:
    steps = raw["steps"]
    assert isinstance(steps, list)
    chained = [s for s in steps if s["depends_on"]]
    if not chained:
        # Make one dependency so there is an edge to reverse.
        if len(steps) < 2:
            steps.append(step("extra"))
        steps[-1]["depends_on"] = [steps[0]["name"]]
        chained = [steps[-1]]
    child = data.draw(st.sampled_from(chained))
    parent_name = child["depends_on"][0]
    parent = next(s for s in steps if s["name"] == parent_name)
    parent["depends_on"] = [*parent["depends_on"], child["name"]]
    with pytest.raises(errors.InvalidInput) as caught:
        domain.parse_definition(raw)
    assert caught.value.field == "definition.steps"
    assert caught.value.message.startswith("dependency cycle: ")
    cycle = caught.value.message.removeprefix("dependency cycle: ").split(" -> ")
    assert cycle[0] == cycle[-1]
    assert len(cycle) >= 3 or cycle[0] == cycle[1]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ([], "definition", "must be a JSON object"),
        ({"steps": [], "x": 1}, "definition", "unknown key 'x'"),
        ({}, "definition.steps", "must be a list of steps"),
        ({"steps": []}, "definition.steps", "a workflow needs at least one step"),
        ({"steps": ["a"]}, "definition.steps[0]", "must be a JSON object"),
        (
            {"steps": [{"name": "a", "kind": "http", "retry": 3}]},
            "definition.steps[0]",
            "unknown key 'retry'",
        ),
        (
            {"steps": [{"name": "a b", "kind": "http"}]},
            "definition.steps[0].name",
            "must be 1-64 letters, digits, '_' or '-'",
        ),
        (
            {"steps": [step("a"), step("a")]},
            "definition.steps[1].name",
            "duplicate step name 'a'",
        ),
        (
            {"steps": [step("a", kind="ftp")]},
            "definition.steps[0].kind",
            "unknown step kind 'ftp'; known kinds: celery, http, python, shell, trigger",
        ),
        (
            {"steps": [{"name": "a", "kind": "http", "config": [1]}]},
            "definition.steps[0].config",
            "must be a JSON object",
        ),
        (
            {"steps": [step("a"), step("b", "c")]},
            "definition.steps[1].depends_on",
            "depends on unknown step 'c'",
        ),
        (
            {"steps": [{"name": "a", "kind": "http", "depends_on": "b"}]},
            "definition.steps[0].depends_on",
            "must be a list of step names",
        ),
        (
            {"steps": [step("a"), step("b", "a", "a")]},
            "definition.steps[1].depends_on",
            "lists a step twice",
        ),
        ({"steps": [step("a", "a")]}, "definition.steps", "dependency cycle: a -> a"),
        (
            {"steps": [step("a", "c"), step("b", "a"), step("c", "b")]},
            "definition.steps",
            "dependency cycle: a -> c -> b -> a",
        ),
    ],
)
def test_a_bad_definition_is_rejected_with_its_place_and_reason(
    raw: object, field: str, message: str
) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        domain.parse_definition(raw)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert str(caught.value) == f"{field}: {message}"


def test_config_holding_values_json_cannot_store_is_rejected() -> None:
    with pytest.raises(errors.InvalidInput, match=r"steps\[0\]\.config: must hold JSON values"):
        domain.parse_definition({"steps": [step("a", when=object())]})


def test_a_plugged_in_config_check_reports_through_the_same_error() -> None:
    def needs_url(kind: str, config: domain.JsonObject) -> None:
        if kind == "http" and "url" not in config:
            raise ValueError("http steps need a url")

    ok = {"steps": [step("a", url="https://example.org"), step("b", "a", kind="shell")]}
    assert len(domain.parse_definition(ok, check_config=needs_url).steps) == 2
    with pytest.raises(errors.InvalidInput) as caught:
        domain.parse_definition({"steps": [step("a")]}, check_config=needs_url)
    assert (caught.value.field, caught.value.message) == (
        "definition.steps[0].config",
        "http steps need a url",
    )


def test_the_known_kinds_can_be_replaced_by_a_registry() -> None:
    raw = {"steps": [step("a", kind="sql")]}
    assert domain.parse_definition(raw, kinds={"sql"}).steps[0].kind == "sql"


def test_a_long_chain_is_checked_without_recursion() -> None:
    names = [f"s{i}" for i in range(100)]
    raw = {"steps": [step(n, *names[i - 1 : i]) for i, n in enumerate(names)]}
    assert domain.find_cycle(domain.parse_definition(raw).steps) is None
