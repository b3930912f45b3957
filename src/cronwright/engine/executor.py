"""Running one attempt of a run: its workflow's steps in dependency order, within its timeout.

Each step runs in a daemon thread of its own while this thread watches the clock and the run's
``interrupt`` event (cancelled, lease lost, shutdown). When time is up or the run is interrupted,
the step's ``ctx.stop`` is set: ``async`` python functions are cancelled, but a plain (sync)
function cannot be killed from outside in Python, so it is *abandoned* in its daemon thread:
it may go on in the background, its result is ignored, and the attempt ends ``timed_out``.

Every step is recorded in ``run_steps`` as it ends, each in its own short transaction; no
transaction is open while an action runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cronwright import clock, domain, errors
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry
from cronwright.store import queue

DEFAULT_CHECK_EVERY = timedelta(milliseconds=50)  # how often a running step's watcher looks up


class StepRecorder(Protocol):
    def record_step(self, step: queue.StepRecord) -> None: ...


def ordered_steps(definition: domain.WorkflowDefinition) -> list[domain.Step]:
    """Steps so that each comes after the steps it depends on; ties keep declared order."""
    done: set[str] = set()
    ordered: list[domain.Step] = []
    remaining = list(definition.steps)
    while remaining:
        ready = next(s for s in remaining if all(d in done for d in s.depends_on))
        ordered.append(ready)
        done.add(ready.name)
        remaining.remove(ready)
    return ordered


@dataclass
class _StepThread:
    """The box a step's thread leaves its result in."""

    finished: threading.Event = field(default_factory=threading.Event)
    outcome: StepOutcome | None = None


class Executor:
    def __init__(
        self,
        registry: ActionRegistry,
        clock: clock.Clock,
        recorder: StepRecorder,
        *,
        check_every: timedelta = DEFAULT_CHECK_EVERY,
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._recorder = recorder
        self._check_every = check_every.total_seconds()

    def execute(
        self, claimed: queue.ClaimedRun, *, interrupt: threading.Event | None = None
    ) -> queue.RunOutcome | None:
        """Run every step; None if ``interrupt`` was set (the worker lost the run or is
        shutting down: there is nothing to finish)."""
        interrupt = interrupt or threading.Event()
        run = claimed.run
        deadline = self._clock.now() + claimed.timeout
        outputs: dict[str, domain.JsonValue] = {}
        for step in ordered_steps(claimed.definition):
            started_at = self._clock.now()
            stop = threading.Event()
            ctx = StepContext(
                run_id=run.id,
                attempt=run.attempt,
                step=step.name,
                input=run.input,
                upstream={name: outputs[name] for name in step.depends_on},
                timeout=max(deadline - started_at, timedelta(0)),
                stop=stop,
            )
            box = self._start(step, ctx)
            while not box.finished.is_set():
                if interrupt.is_set():
                    stop.set()
                    self._record(claimed, step, started_at, domain.RunState.CANCELLED, None, None)
                    return None
                if self._clock.now() >= deadline:
                    stop.set()
                    error = f"step {step.name!r} timed out: the run's timeout is {claimed.timeout}"
                    self._record(claimed, step, started_at, domain.RunState.TIMED_OUT, None, error)
                    return queue.RunOutcome.timed_out(error)
                remaining = (deadline - self._clock.now()).total_seconds()
                box.finished.wait(max(0.0, min(self._check_every, remaining)))
            outcome = box.outcome
            assert outcome is not None
            if not outcome.ok:
                self._record(claimed, step, started_at, domain.RunState.FAILED, None, outcome.error)
                return queue.RunOutcome.failed(f"step {step.name!r}: {outcome.error}")
            self._record(claimed, step, started_at, domain.RunState.SUCCEEDED, outcome.output, None)
            outputs[step.name] = outcome.output
        return queue.RunOutcome.succeeded(outputs)

    def _start(self, step: domain.Step, ctx: StepContext) -> _StepThread:
        box = _StepThread()

        def target() -> None:
            try:
                box.outcome = self._registry.build(step).run(ctx)
            except errors.CronwrightError as exc:
                box.outcome = StepOutcome.failure(str(exc))
            except BaseException as exc:  # the step's failure, whatever the action raised
                box.outcome = StepOutcome.failure(f"{type(exc).__name__}: {exc}")
            finally:
                box.finished.set()

        name = f"cronwright-step-{ctx.run_id}-{step.name}"
        threading.Thread(target=target, name=name, daemon=True).start()
        return box

    def _record(
        self,
        claimed: queue.ClaimedRun,
        step: domain.Step,
        started_at: datetime,
        state: domain.RunState,
        output: domain.JsonValue,
        error: str | None,
    ) -> None:
        self._recorder.record_step(
            queue.StepRecord(
                run_id=claimed.id,
                attempt=claimed.attempt,
                name=step.name,
                kind=step.kind,
                state=state,
                started_at=started_at,
                finished_at=self._clock.now(),
                output=output,
                error=error,
            )
        )
