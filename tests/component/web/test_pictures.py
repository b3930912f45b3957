"""The pure parts of the pages, over many inputs: charts stay inside their frame and say what
they show; masking header values and giving them back is lossless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronwright import domain
from cronwright.web import charts, masking

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The machine may be busy: how long drawing takes is no finding here.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
states = st.sampled_from(list(domain.RunState))


@st.composite
def step_tries(draw: st.DrawFn) -> list[domain.RunStep]:
    steps = []
    for n in range(draw(st.integers(0, 8))):
        start = T0 + timedelta(milliseconds=draw(st.integers(0, 10**7)))
        took = timedelta(milliseconds=draw(st.integers(0, 10**7)))
        finished = draw(st.booleans())
        steps.append(
            domain.RunStep(
                id=domain.RunStepId(n + 1),
                run_id=domain.RunId(1),
                name=f"step {n}",
                kind="http",
                attempt=1,
                state=draw(states),
                started_at=start if draw(st.booleans()) else None,
                finished_at=start + took if finished else None,
                output=None,
                error=None,
            )
        )
    return steps


def inside(chart: charts.Chart) -> bool:
    return all(
        box.x >= 0
        and box.x + box.w <= chart.width + 0.01
        and box.y >= 0
        and box.y + box.h <= chart.height + 0.01
        for box in chart.boxes
    )


@relaxed
@given(step_tries())
def test_a_gantt_has_one_bar_per_started_try_inside_its_frame(steps: list[domain.RunStep]) -> None:
    now = T0 + timedelta(days=1)
    chart = charts.gantt(steps, now=now)
    started = [s for s in steps if s.started_at is not None]
    assert len(chart.boxes) == len(started)
    assert chart.empty == (not started)
    assert inside(chart)
    for box, step in zip(chart.boxes, started, strict=True):
        assert box.title.startswith(f"{step.name} (try 1): {step.state.value}")
        assert box.css == f"mark-{step.state.value}"


@relaxed
@given(
    st.lists(st.dictionaries(states, st.integers(0, 10_000), max_size=4), min_size=24, max_size=24)
)
def test_the_hourly_chart_stacks_every_run_inside_its_frame(
    counts: list[dict[domain.RunState, int]],
) -> None:
    buckets = [(T0 + timedelta(hours=n), c) for n, c in enumerate(counts)]
    chart = charts.hourly(buckets)
    assert inside(chart)
    shown = sum(int(box.title.split(": ")[1].split()[0]) for box in chart.boxes)
    stacked = sum(n for c in counts for s, n in c.items() if s in charts.STACK_ORDER)
    assert shown == stacked
    assert f"{sum(sum(c.values()) for c in counts)} in all" in chart.summary


names = st.text("abcdefgh-", min_size=1, max_size=8)
headers = st.dictionaries(names, st.text(max_size=20), max_size=3)


@st.composite
def definitions(draw: st.DrawFn) -> domain.JsonObject:
    steps: list[domain.JsonValue] = []
    for n in range(draw(st.integers(0, 4))):
        config: dict[str, domain.JsonValue] = {"url": "https://example.org"}
        if draw(st.booleans()):
            config["headers"] = dict(draw(headers))
        steps.append({"name": f"s{n}", "kind": "http", "config": config})
    return {"steps": steps}


@relaxed
@given(definitions())
def test_masking_hides_every_header_value_and_unmasking_restores_them(
    definition: domain.JsonObject,
) -> None:
    shown = masking.masked(definition)
    steps: Any = shown["steps"]
    for step in steps:
        for value in step["config"].get("headers", {}).values():
            assert value == masking.MASK
    assert masking.unmasked(shown, definition) == definition


def test_a_header_typed_anew_wins_over_the_stored_one() -> None:
    stored: domain.JsonObject = {
        "steps": [{"name": "a", "kind": "http", "config": {"headers": {"X": "old", "Y": "keep"}}}]
    }
    typed: domain.JsonObject = {
        "steps": [
            {"name": "a", "kind": "http", "config": {"headers": {"X": "new", "Y": masking.MASK}}},
            {"name": "b", "kind": "http", "config": {"headers": {"Z": masking.MASK}}},
        ]
    }
    back: Any = masking.unmasked(typed, stored)
    assert back["steps"][0]["config"]["headers"] == {"X": "new", "Y": "keep"}
    assert back["steps"][1]["config"]["headers"] == {"Z": masking.MASK}
