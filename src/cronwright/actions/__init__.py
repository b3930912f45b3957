"""Actions: what a workflow step does. Kinds: ``python`` (:func:`default_registry`), and ``http``,
``shell`` and ``trigger`` (:func:`install_default_actions`)."""

from __future__ import annotations

from cronwright.actions.base import Action, StepContext, StepOutcome
from cronwright.actions.defaults import config_checker, install_default_actions
from cronwright.actions.python import PythonFunctions
from cronwright.actions.python import install as install_python
from cronwright.actions.registry import ActionRegistry, UnknownActionKind
from cronwright.actions.trigger import ChainStarter


def default_registry(functions: PythonFunctions) -> ActionRegistry:
    """A registry with the ``python`` kind; :func:`install_default_actions` adds the others,
    which need the operator's choices (shell on or off) and a way to start chained runs."""
    registry = ActionRegistry()
    install_python(registry, functions)
    return registry


__all__ = [
    "Action",
    "ActionRegistry",
    "ChainStarter",
    "PythonFunctions",
    "StepContext",
    "StepOutcome",
    "UnknownActionKind",
    "config_checker",
    "default_registry",
    "install_default_actions",
]
