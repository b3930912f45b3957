"""The graph walks behind step order, reference checks and trigger cycles, checked on literals
and against the standard library's ``graphlib`` on random graphs."""

from __future__ import annotations

import graphlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from cronwright.domain import graph

NODES = "abcdefg"
GRAPHS = st.dictionaries(
    st.sampled_from(NODES),
    st.lists(st.sampled_from(NODES), unique=True, max_size=4).map(tuple),
    max_size=len(NODES),
)


def has_cycle(edges: dict[str, tuple[str, ...]]) -> bool:
    try:
        tuple(graphlib.TopologicalSorter(edges).static_order())
    except graphlib.CycleError:
        return True
    return False


def is_a_cycle(path: list[str], edges: dict[str, tuple[str, ...]]) -> bool:
    return (
        len(path) >= 2
        and path[0] == path[-1]
        and all(b in edges.get(a, ()) for a, b in itertools.pairwise(path))
    )


def test_literals() -> None:
    edges = {"a": ("b",), "b": ("c",), "c": ("a",), "d": ("a",)}
    assert graph.find_cycle(edges) == ["a", "b", "c", "a"]
    assert graph.cycle_through("d", edges) is None
    assert graph.cycle_through("b", edges) == ["b", "c", "a", "b"]
    assert graph.reachable("d", edges) == {"a", "b", "c"}
    assert graph.reachable("a", edges) == {"a", "b", "c"}  # back to itself through the cycle
    assert graph.find_cycle({"a": ("b",), "b": ("missing",)}) is None
    # Ties keep the given order; a dependency always comes first.
    assert graph.dependency_order(["x", "y", "z"], {"x": ("z",)}) == ["y", "z", "x"]


@given(GRAPHS)
def test_a_cycle_is_found_exactly_when_graphlib_finds_one(
    edges: dict[str, tuple[str, ...]],
) -> None:
    # graphlib also follows edges to nodes that have no entry of their own; ours do not lead on.
    cycle = graph.find_cycle(edges)
    assert (cycle is not None) == has_cycle(edges)
    if cycle is not None:
        assert is_a_cycle(cycle, edges)


@given(GRAPHS, st.sampled_from(NODES))
def test_a_cycle_through_a_node_exists_when_the_node_reaches_itself(
    edges: dict[str, tuple[str, ...]], start: str
) -> None:
    cycle = graph.cycle_through(start, edges)
    assert (cycle is not None) == (start in graph.reachable(start, edges))
    if cycle is not None:
        assert cycle[0] == start
        assert is_a_cycle(cycle, edges)


@given(GRAPHS)
def test_dependency_order_puts_every_dependency_first(edges: dict[str, tuple[str, ...]]) -> None:
    acyclic = {node: tuple(d for d in deps if d < node) for node, deps in edges.items()}
    nodes = sorted(set(acyclic) | {d for deps in acyclic.values() for d in deps}, reverse=True)
    ordered = graph.dependency_order(nodes, acyclic)
    assert sorted(ordered) == sorted(nodes)
    position = {node: i for i, node in enumerate(ordered)}
    for node, deps in acyclic.items():
        assert all(position[d] < position[node] for d in deps)
