"""What a worker can execute, and what a workflow needs: capability routing.

A worker advertises its :class:`Capabilities` (the step kinds it can run, and for ``python`` steps
the names of the functions registered in its process). A run is claimed only by a worker that
can execute every step of its workflow, so a process without an action never takes a run it
would fail; the run waits, with a reason, for a worker that can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cronwright.domain.workflow import WorkflowDefinition

PYTHON_KIND = "python"


@dataclass(frozen=True, slots=True)
class Capabilities:
    kinds: frozenset[str]  # step kinds this worker can run (``shell`` only when enabled)
    python_functions: frozenset[str]  # names registered for ``python`` steps

    def missing(self, definition: WorkflowDefinition) -> list[str]:
        """What of ``definition`` this worker cannot execute, one phrase each, in step order;
        empty when it can execute every step."""
        found: list[str] = []
        for step in definition.steps:
            if step.kind not in self.kinds:
                what = f"step kind {step.kind!r}"
            elif step.kind == PYTHON_KIND and step.config.get("function") not in (
                self.python_functions
            ):
                what = f"python function {step.config.get('function')!r}"
            else:
                continue
            if what not in found:
                found.append(what)
        return found

    def can_run(self, definition: WorkflowDefinition) -> bool:
        return not self.missing(definition)

    def to_json(self) -> dict[str, Any]:
        return {"kinds": sorted(self.kinds), "python_functions": sorted(self.python_functions)}

    @classmethod
    def from_json(cls, raw: Any) -> Capabilities | None:
        """None for a worker that advertised nothing (it may run anything, as before routing)."""
        if not isinstance(raw, dict):
            return None
        return cls(
            kinds=frozenset(str(kind) for kind in raw.get("kinds", ())),
            python_functions=frozenset(str(name) for name in raw.get("python_functions", ())),
        )
