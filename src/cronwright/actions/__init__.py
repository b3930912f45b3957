"""Actions: what a workflow step does (``python`` now; ``http``, ``shell``, ``trigger`` plug into
the same registry)."""

from __future__ import annotations

from cronwright.actions.base import Action, StepContext, StepOutcome
from cronwright.actions.python import PythonFunctions
from cronwright.actions.python import install as install_python
from cronwright.actions.registry import ActionRegistry, UnknownActionKind


def default_registry(functions: PythonFunctions) -> ActionRegistry:
    """A registry with every kind this version ships."""
    registry = ActionRegistry()
    install_python(registry, functions)
    return registry


__all__ = [
    "Action",
    "ActionRegistry",
    "PythonFunctions",
    "StepContext",
    "StepOutcome",
    "UnknownActionKind",
    "default_registry",
]
