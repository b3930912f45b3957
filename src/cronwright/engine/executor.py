"""Running one attempt of a run: its workflow's steps as a DAG, within the run's timeout.

A step starts once every step it depends on has succeeded; up to ``step_concurrency`` ready steps
run at once, each in a daemon thread of its own, while this thread watches the clock, the steps'
and the run's deadlines and the run's ``interrupt`` event (cancelled, lease lost, shutdown).

Before a step starts, the references in its config (``{{ input.id }}``,
``{{ steps.fetch.output.body }}``; see :mod:`cronwright.actions.references`) are replaced by
values. A step that fails (after its own ``retries``, with backoff) fails the attempt; the steps
that depend on it, directly or not, are recorded ``skipped`` with the reason, while independent
branches run on to the end. The attempt ends as its first failed step ended (``failed`` or
``timed_out``).

When a step's or the run's time is up, or the run is interrupted, the step's ``ctx.stop`` is set:
shell steps are killed and ``async`` python functions cancelled, but a plain (sync) function
cannot be killed from outside in Python, so it is *abandoned* in its daemon thread: it may go on
in the background and its result is ignored.

Every step is recorded in ``run_steps`` as it ends, each in its own short transaction; no
transaction is open while an action runs. Outputs larger than ``MAX_OUTPUT_BYTES`` of JSON are
replaced by a truncated preview, both in the record and for later steps.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from cronwright import clock, domain, errors
from cronwright.actions import references
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry
from cronwright.planning import backoff
from cronwright.store import queue

log = logging.getLogger(__name__)

DEFAULT_CHECK_EVERY = timedelta(milliseconds=50)  # how often running steps are looked at
DEFAULT_STEP_CONCURRENCY = 4
# Waits between the tries of one step (``retries``); full jitter like the run's retries.
DEFAULT_STEP_BACKOFF = backoff.BackoffPolicy(
    initial=timedelta(seconds=1), factor=2.0, maximum=timedelta(seconds=30)
)
MAX_OUTPUT_BYTES = 64 * 1024
State = domain.RunState


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


def cap_output(output: domain.JsonValue, limit: int = MAX_OUTPUT_BYTES) -> domain.JsonValue:
    """``output``, or a preview marked truncated when its JSON is longer than ``limit`` bytes."""
    text = json.dumps(output, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size <= limit:
        return output
    head = text.encode()[: limit // 2].decode(errors="ignore")
    return {"truncated": True, "bytes": size, "head": head}


class Executor:
    def __init__(
        self,
        registry: ActionRegistry,
        clock: clock.Clock,
        recorder: StepRecorder,
        *,
        check_every: timedelta = DEFAULT_CHECK_EVERY,
        step_concurrency: int = DEFAULT_STEP_CONCURRENCY,
        step_backoff: backoff.BackoffPolicy = DEFAULT_STEP_BACKOFF,
        unit_random: backoff.UnitRandom = random.random,
    ) -> None:
        if step_concurrency < 1:
            raise ValueError("step_concurrency must be at least 1")
        self.registry = registry
        self.clock = clock
        self.recorder = recorder
        self.check_every = check_every
        self.step_concurrency = step_concurrency
        self.step_backoff = step_backoff
        self.unit_random = unit_random

    def execute(
        self, claimed: queue.ClaimedRun, *, interrupt: threading.Event | None = None
    ) -> queue.RunOutcome | None:
        """Run the workflow; None if ``interrupt`` was set (the worker lost the run or is
        shutting down: there is nothing to finish)."""
        return _Attempt(self, claimed, interrupt or threading.Event()).run()


class _Status(Enum):
    WAITING = "waiting"  # not started, or between two tries
    RUNNING = "running"
    DONE = "done"  # recorded: succeeded, failed, timed out or skipped


@dataclass
class _Try:
    """One try of one step: the box its thread leaves the outcome in."""

    ctx: StepContext
    deadline: datetime
    finished: threading.Event = field(default_factory=threading.Event)
    outcome: StepOutcome | None = None


@dataclass
class _StepState:
    step: domain.Step
    status: _Status = _Status.WAITING
    state: State | None = None  # how it ended, once DONE
    tries: int = 0
    started_at: datetime | None = None
    not_before: datetime | None = None  # a retry waits for its backoff
    current: _Try | None = None
    root_cause: str | None = None  # for a skipped step: the failed step it waited for


class _Attempt:
    """The state of one execution; lives as long as :meth:`Executor.execute`."""

    def __init__(
        self, executor: Executor, claimed: queue.ClaimedRun, interrupt: threading.Event
    ) -> None:
        self.executor = executor
        self.claimed = claimed
        self.interrupt = interrupt
        self.changed = threading.Event()  # a step's thread finished
        self.deadline = executor.clock.now() + claimed.timeout
        self.steps = {s.name: _StepState(s) for s in ordered_steps(claimed.definition)}
        self.outputs: dict[str, domain.JsonValue] = {}
        self.failure: queue.RunOutcome | None = None

    def run(self) -> queue.RunOutcome | None:
        while True:
            now = self.executor.clock.now()
            if self.interrupt.is_set():
                self._end_running(State.CANCELLED, None)
                return None
            self._collect(now)  # first, so a step that ended in time counts as ended
            if all(s.status is _Status.DONE for s in self.steps.values()):
                break
            if now >= self.deadline:
                return self._time_out_run()
            self._start_ready(now)
            if all(s.status is _Status.DONE for s in self.steps.values()):
                break  # the last steps could not start (bad references)
            wait = min(self.executor.check_every, self.deadline - self.executor.clock.now())
            self.changed.wait(max(0.0, wait.total_seconds()))
            self.changed.clear()  # before the next look, so a later finish is not missed
        if self.failure is not None:
            return self.failure
        return queue.RunOutcome.succeeded({name: self.outputs[name] for name in self.steps})

    # -- steps starting ---------------------------------------------------------------------------

    def _start_ready(self, now: datetime) -> None:
        running = sum(1 for s in self.steps.values() if s.status is _Status.RUNNING)
        for state in self.steps.values():
            if running >= self.executor.step_concurrency:
                return
            if state.status is not _Status.WAITING or (state.not_before or now) > now:
                continue
            if all(self.steps[d].state is State.SUCCEEDED for d in state.step.depends_on):
                running += self._start(state, now)

    def _start(self, state: _StepState, now: datetime) -> bool:
        """Start a try of ``state``'s step; False if it could not start (a bad reference)."""
        step, run = state.step, self.claimed.run
        state.tries += 1
        state.started_at = state.started_at or now
        try:
            scope = references.scope_for(
                run.input,
                {name: self.outputs[name] for name in references.ancestors(step.name, self._defs)},
            )
            config = references.resolve(step.config, scope)
        except references.InvalidReferenceError as exc:  # trying again would not help
            self._finish(state, State.FAILED, None, str(exc), now, retry=False)
            return False
        assert isinstance(config, dict)
        deadline = self.deadline if step.timeout is None else min(self.deadline, now + step.timeout)
        attempt = _Try(
            ctx=StepContext(
                run_id=run.id,
                org_id=run.org_id,
                attempt=run.attempt,
                step=step.name,
                input=run.input,
                upstream={name: self.outputs[name] for name in step.depends_on},
                timeout=deadline - now,
            ),
            deadline=deadline,
        )
        state.current, state.status, state.not_before = attempt, _Status.RUNNING, None
        resolved = dataclasses.replace(step, config=config)
        name = f"cronwright-step-{run.id}-{step.name}-{state.tries}"
        threading.Thread(
            target=self._run_try, args=(resolved, attempt), name=name, daemon=True
        ).start()
        return True

    def _run_try(self, step: domain.Step, attempt: _Try) -> None:
        try:
            attempt.outcome = self.executor.registry.build(step).run(attempt.ctx)
        except errors.CronwrightError as exc:
            attempt.outcome = StepOutcome.failure(str(exc))
        except BaseException as exc:  # the step's failure, whatever the action raised
            attempt.outcome = StepOutcome.failure(f"{type(exc).__name__}: {exc}")
        finally:
            attempt.finished.set()
            self.changed.set()

    # -- steps ending -----------------------------------------------------------------------------

    def _collect(self, now: datetime) -> None:
        for state in self._in(_Status.RUNNING):
            attempt = state.current
            assert attempt is not None
            if attempt.finished.is_set():
                outcome = attempt.outcome
                assert outcome is not None
                if outcome.ok:
                    self._finish(state, State.SUCCEEDED, cap_output(outcome.output), None, now)
                else:
                    self._finish(state, State.FAILED, None, outcome.error, now)
            elif now >= attempt.deadline:
                attempt.ctx.stop.set()
                error = f"timed out: the step's timeout is {state.step.timeout}"
                self._finish(state, State.TIMED_OUT, None, error, now)

    def _finish(
        self,
        state: _StepState,
        ended: State,
        output: domain.JsonValue,
        error: str | None,
        now: datetime,
        *,
        retry: bool = True,
    ) -> None:
        name = state.step.name
        state.current = None
        if ended is not State.SUCCEEDED and retry and state.tries <= state.step.retries:
            delay = self.executor.step_backoff.delay(state.tries, self.executor.unit_random)
            log.info("step %r try %d %s (%s); again in %s", name, state.tries, ended, error, delay)
            state.status, state.not_before = _Status.WAITING, now + delay
            return
        state.status, state.state = _Status.DONE, ended
        self._record(state, ended, output, error)
        if ended is State.SUCCEEDED:
            self.outputs[name] = output
            return
        if self.failure is None:
            make = (
                queue.RunOutcome.timed_out if ended is State.TIMED_OUT else queue.RunOutcome.failed
            )
            self.failure = make(f"step {name!r}: {error}")
        self._skip_dependants()

    def _skip_dependants(self) -> None:
        # Declared order is topological, so one pass reaches dependants of dependants.
        for state in self._in(_Status.WAITING):
            blocked = [d for d in state.step.depends_on if self.steps[d].status is _Status.DONE]
            for name in blocked:
                upstream = self.steps[name]
                if upstream.state is State.SUCCEEDED:
                    continue
                state.root_cause = upstream.root_cause or name
                state.status, state.state = _Status.DONE, State.SKIPPED
                cause = self.steps[state.root_cause].state
                verb = "timed out" if cause is State.TIMED_OUT else "failed"
                reason = f"not run: step {state.root_cause!r} {verb}"
                self._record(state, State.SKIPPED, None, reason)
                break

    def _time_out_run(self) -> queue.RunOutcome:
        error = f"the run's timeout is {self.claimed.timeout}"
        first = next(self._in(_Status.RUNNING), None)
        self._end_running(State.TIMED_OUT, f"timed out: {error}")
        for state in self._in(_Status.WAITING):
            if state.tries:  # waiting to try again
                state.status, state.state = _Status.DONE, State.TIMED_OUT
                self._record(state, State.TIMED_OUT, None, f"timed out between tries: {error}")
            else:
                state.status, state.state = _Status.DONE, State.SKIPPED
                self._record(state, State.SKIPPED, None, f"not run: {error}, and time was up")
        if self.failure is not None:
            return self.failure
        where = f"step {first.step.name!r} timed out" if first else "timed out"
        return queue.RunOutcome.timed_out(f"{where}: {error}")

    def _end_running(self, ended: State, error: str | None) -> None:
        for state in self._in(_Status.RUNNING):
            assert state.current is not None
            state.current.ctx.stop.set()
            state.status, state.state = _Status.DONE, ended
            self._record(state, ended, None, error)

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def _defs(self) -> dict[str, domain.Step]:
        return {name: state.step for name, state in self.steps.items()}

    def _in(self, status: _Status) -> Iterator[_StepState]:
        return iter([s for s in self.steps.values() if s.status is status])

    def _record(
        self, state: _StepState, ended: State, output: domain.JsonValue, error: str | None
    ) -> None:
        self.executor.recorder.record_step(
            queue.StepRecord(
                run_id=self.claimed.id,
                attempt=self.claimed.attempt,
                name=state.step.name,
                kind=state.step.kind,
                state=ended,
                started_at=state.started_at,
                finished_at=self.executor.clock.now(),
                output=output,
                error=error,
            )
        )
