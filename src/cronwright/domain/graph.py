"""Directed graphs as ``{node: nodes it points to}``: the step graph of a workflow (a step points
to the steps it depends on) and the trigger graph of an organization (a workflow points to the
workflows it starts). Every walk is iterative, so a deep chain cannot hit the recursion limit;
edges to nodes missing from the mapping are followed no further."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)
Edges = Mapping[Node, Sequence[Node]]


def reachable(start: Node, edges: Edges[Node]) -> set[Node]:
    """Every node reached from ``start`` through one edge or more (``start`` itself only when a
    cycle leads back to it)."""
    seen: set[Node] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def find_cycle(edges: Edges[Node]) -> list[Node] | None:
    """A cycle as ``[a, b, ..., a]``, the first found walking the nodes in mapping order, or
    None."""
    done: set[Node] = set()
    for start in edges:
        if start in done:
            continue
        path: list[Node] = [start]
        on_path = {start}
        stack = [iter(edges[start])]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
            elif following in on_path:
                return [*path[path.index(following) :], following]
            elif following not in done and following in edges:
                path.append(following)
                on_path.add(following)
                stack.append(iter(edges[following]))
    return None


def cycle_through(start: Node, edges: Edges[Node]) -> list[Node] | None:
    """A path ``[start, ..., start]`` (depth-first, edges in their listed order), or None."""
    parents: dict[Node, Node] = {}
    todo = [(start, following) for following in reversed(edges.get(start, ()))]
    while todo:
        parent, node = todo.pop()
        if node == start:
            path = [start, parent]
            while path[-1] != start:
                path.append(parents[path[-1]])
            return list(reversed(path))
        if node in parents:
            continue
        parents[node] = parent
        todo.extend((node, following) for following in reversed(edges.get(node, ())))
    return None


def dependency_order(nodes: Iterable[Node], depends_on: Edges[Node]) -> list[Node]:
    """``nodes`` so that each comes after the nodes it depends on; ties keep the given order.
    The graph must have no cycle (definitions with one are refused when saved)."""
    remaining = list(nodes)
    done: set[Node] = set()
    ordered: list[Node] = []
    while remaining:
        ready = next(n for n in remaining if all(d in done for d in depends_on.get(n, ())))
        ordered.append(ready)
        done.add(ready)
        remaining.remove(ready)
    return ordered
