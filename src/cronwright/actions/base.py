"""What a step does: an :class:`Action` with one method, given a :class:`StepContext`.

The worker owns policy (timeouts, retries, recording); an action just runs. Execution is
at-least-once: an action that has effects outside cronwright should use
:attr:`StepContext.idempotency_key`, which is the same for every execution of one attempt and
differs between attempts.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from cronwright import domain


@dataclass(frozen=True, slots=True, kw_only=True)
class StepContext:
    run_id: domain.RunId
    attempt: int  # 1 for the first attempt
    step: str
    input: domain.JsonObject  # the run's input
    upstream: Mapping[str, domain.JsonValue]  # outputs of the steps this one depends on
    timeout: timedelta  # the step's timeout, or what is left of the run's time if that is less
    org_id: domain.OrganizationId | None = None  # of the run; what ``trigger`` steps start in
    # Set when the step must stop: the run timed out, was cancelled, or its lease was lost.
    # Long actions should check it; async ones are cancelled when it is set.
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}:{self.attempt}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepOutcome:
    """A step's JSON output, or the error that failed it."""

    output: domain.JsonValue = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def success(cls, output: domain.JsonValue = None) -> StepOutcome:
        return cls(output=output)

    @classmethod
    def failure(cls, error: str) -> StepOutcome:
        return cls(error=error)


class Action(Protocol):
    def run(self, ctx: StepContext) -> StepOutcome:
        """Do the step. Return a failure rather than raise for expected errors; an exception
        fails the step too, with its type and message."""
        ...
