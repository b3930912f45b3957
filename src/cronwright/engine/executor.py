"""Running one attempt of a run: its workflow's steps as a DAG, within the run's timeout.

A step starts once every step it depends on has succeeded; up to ``step_concurrency`` ready steps
run at once. The thread that drives the attempt (:meth:`Executor.run`: a worker's runner thread)
runs a step itself whenever it is the only one of the run to run now, which is every step of a
one-step workflow or a chain: no thread is started and nothing is handed over, so a short step
costs microseconds. When several steps are ready, each runs in a daemon thread of its own while
the driving thread watches the clock, the deadlines and the run's ``interrupt`` event (cancelled,
lease lost, shutdown).

A thread busy in a step cannot watch anything, so the executor's :class:`Watchdog` watches the
steps run that way. When such a step's or the run's time is up, or the run is interrupted, the
step's ``ctx.stop`` is set (shell steps are killed, ``async`` python functions cancelled) and the
thread is *abandoned*: a new thread drives the attempt on from there at once (recording the step
``timed_out`` or ``cancelled``, retrying it, skipping its dependants...) and the caller's
``on_abandoned`` is told, so that a worker can start a runner in its place. A plain (sync)
function cannot be killed from outside in Python: it may go on in the background on the
abandoned thread, and its result is ignored, exactly as for a step in a thread of its own.

Before a step starts, the references in its config (``{{ input.id }}``,
``{{ steps.fetch.output.body }}``; see :mod:`cronwright.actions.references`) are replaced by
values. A step that fails (after its own ``retries``, with backoff) fails the attempt; the steps
that depend on it, directly or not, are recorded ``skipped`` with the reason, while independent
branches run on to the end. The attempt ends as its first failed step ended (``failed`` or
``timed_out``).

Every step is recorded through the ``recorder`` as it ends (the worker's group-commit writer);
no transaction is open while an action runs. Outputs larger than ``MAX_OUTPUT_BYTES`` of JSON are
replaced by a truncated preview, both in the record and for later steps.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from cronwright import clock, domain, errors
from cronwright.actions import references
from cronwright.actions.base import Action, StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry
from cronwright.domain import graph
from cronwright.engine import run_context
from cronwright.engine.watchdog import Watchdog
from cronwright.planning import backoff

log = logging.getLogger(__name__)

DEFAULT_CHECK_EVERY = timedelta(milliseconds=50)  # how often running steps are looked at
DEFAULT_STEP_CONCURRENCY = 4
# Waits between the tries of one step (``retries``); full jitter like the run's retries.
DEFAULT_STEP_BACKOFF = backoff.BackoffPolicy(
    initial=timedelta(seconds=1), factor=2.0, maximum=timedelta(seconds=30)
)
MAX_OUTPUT_BYTES = 64 * 1024
State = domain.RunState
_NOT_STARTED = datetime.min  # the deadline of an attempt (or a try) that has not started


class StepRecorder(Protocol):
    def record_step(self, step: domain.StepRecord) -> None: ...


def ordered_steps(definition: domain.WorkflowDefinition) -> list[domain.Step]:
    """Steps so that each comes after the steps it depends on; ties keep declared order."""
    if len(definition.steps) == 1:
        return list(definition.steps)
    by_name = {step.name: step for step in definition.steps}
    depends_on = {step.name: step.depends_on for step in definition.steps}
    return [by_name[name] for name in graph.dependency_order(by_name, depends_on)]


def cap_output(output: domain.JsonValue, limit: int = MAX_OUTPUT_BYTES) -> domain.JsonValue:
    """``output``, or a preview marked truncated when its JSON is longer than ``limit`` bytes."""
    if output is None or isinstance(output, bool | int | float):
        return output
    if isinstance(output, str) and 6 * len(output) + 2 <= limit:  # 6: the longest escape
        return output
    text = json.dumps(output, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size <= limit:
        return output
    head = text.encode()[: limit // 2].decode(errors="ignore")
    return {"truncated": True, "bytes": size, "head": head}


OnDone = Callable[[domain.RunOutcome | None], None]


class Prepared(Protocol):
    """An attempt made ready to start (:meth:`Executor.prepare`)."""

    def drive(self) -> bool:
        """As :meth:`Executor.run`: on the calling thread; False if it was abandoned."""
        ...


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
        self.watchdog = Watchdog(clock, check_every=check_every)

    def run(
        self,
        claimed: domain.ClaimedRun,
        *,
        on_done: OnDone,
        interrupt: threading.Event | None = None,
        on_abandoned: Callable[[], None] | None = None,
    ) -> bool:
        """Drive the attempt on the calling thread; ``on_done`` gets its outcome, or None if
        ``interrupt`` was set (the worker lost the run or is shutting down: nothing to finish).

        False if the calling thread was abandoned in a step past its time: another thread
        finished the attempt (and called ``on_done``), ``on_abandoned`` was called when that
        happened, and the step has returned since. True once the attempt ended here.
        """
        attempt = _Attempt(self, claimed, interrupt or threading.Event(), on_done, on_abandoned)
        return attempt.drive()

    def prepare(
        self,
        claimed: domain.ClaimedRun,
        *,
        on_done: OnDone,
        interrupt: threading.Event | None = None,
        on_abandoned: Callable[[], None] | None = None,
    ) -> Prepared:
        """Everything :meth:`run` does before the first action is called, done now: for a run
        claimed ahead of its time, so that at its time only the action's call is left. Its
        :meth:`Prepared.drive` is :meth:`run`'s; the attempt's time starts counting there."""
        attempt = _Attempt(self, claimed, interrupt or threading.Event(), on_done, on_abandoned)
        attempt.prepare()
        return attempt

    def execute(
        self, claimed: domain.ClaimedRun, *, interrupt: threading.Event | None = None
    ) -> domain.RunOutcome | None:
        """:meth:`run` on a thread of its own, waited for: the outcome as soon as it is known,
        even while an abandoned step goes on."""
        outcomes: list[domain.RunOutcome | None] = []
        failures: list[Exception] = []
        known = threading.Event()

        def done(outcome: domain.RunOutcome | None) -> None:
            outcomes.append(outcome)
            known.set()

        def drive() -> None:
            try:
                self.run(claimed, on_done=done, interrupt=interrupt)
            except Exception as exc:  # raised here, in the caller's thread
                failures.append(exc)
                known.set()

        name = f"cronwright-attempt-{claimed.id}"
        threading.Thread(target=drive, name=name, daemon=True).start()
        known.wait()
        if outcomes:
            return outcomes[0]
        raise failures[0]


class _Status(Enum):
    WAITING = "waiting"  # not started, or between two tries
    RUNNING = "running"
    DONE = "done"  # recorded: succeeded, failed, timed out or skipped


@dataclass(slots=True)
class _Try:
    """One try of one step: where its outcome is left, by its own thread or the driving one."""

    step: domain.Step  # references resolved
    ctx: StepContext
    deadline: datetime
    outcome: StepOutcome | None = None  # set once it returned (and was not abandoned)
    abandoned: bool = False  # expired while run by the driving thread: its outcome is ignored
    action: Action | None = None  # built ahead (a prepared attempt's first step)


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
    """The state of one execution, driven by one thread at a time (another one after the
    driving thread was abandoned in a step)."""

    def __init__(
        self,
        executor: Executor,
        claimed: domain.ClaimedRun,
        interrupt: threading.Event,
        on_done: OnDone,
        on_abandoned: Callable[[], None] | None,
    ) -> None:
        self.executor = executor
        self.claimed = claimed
        self.interrupt = interrupt
        self.on_done = on_done
        self.on_abandoned = on_abandoned
        self.lock = threading.Lock()  # decides between a returning step and its expiry
        self.changed: threading.Event | None = None  # a step's own thread finished (if any)
        self.deadline = _NOT_STARTED  # set when the attempt starts (drive)
        self.steps = {s.name: _StepState(s) for s in ordered_steps(claimed.definition)}
        self.outputs: dict[str, domain.JsonValue] = {}
        self.failure: domain.RunOutcome | None = None
        self.run_context = run_context.of(claimed)
        self.first: tuple[_StepState, _Try] | None = None  # prepared: the step to start with

    def prepare(self) -> None:
        """Make the first try ready ahead (a lone first step: a one-step workflow or a chain):
        references resolved, context built, action built. Its times are set when it starts."""
        roots = [s for s in self.steps.values() if not s.step.depends_on]
        if len(roots) != 1:
            return
        state = roots[0]
        step = state.step
        if references.mentions_any(step.config):
            try:
                config = references.resolve(step.config, self._scope(step))
            except references.InvalidReferenceError:
                return  # the start records it failed, as without preparing
            assert isinstance(config, dict)
            step = dataclasses.replace(step, config=config)
        try:
            action = self.executor.registry.build(step)
        except Exception:  # the start records the step failed, as without preparing
            return
        timeout = self.claimed.timeout
        if step.timeout is not None:
            timeout = min(timeout, step.timeout)
        attempt = _Try(
            step=step,
            ctx=self._context(state.step.name, step.depends_on, timeout),
            deadline=_NOT_STARTED,
            action=action,
        )
        self.first = (state, attempt)

    def drive(self) -> bool:
        if self.deadline is _NOT_STARTED:  # the attempt starts now
            now = self.executor.clock.now()
            self.deadline = now + self.claimed.timeout
            first, self.first = self.first, None
            if first is not None and not self.interrupt.is_set():
                state, attempt = first
                state.tries, state.started_at = 1, now
                attempt.deadline = now + attempt.ctx.timeout
                state.current, state.status = attempt, _Status.RUNNING
                if not self._run_here(attempt):
                    return False
        while True:
            now = self.executor.clock.now()
            if self.interrupt.is_set():
                self._end_running(State.CANCELLED, None)
                self.on_done(None)
                return True
            self._collect(now)  # first, so a step that ended in time counts as ended
            if self._all_done():
                break
            if now >= self.deadline:
                self.on_done(self._time_out_run())
                return True
            here = self._start_ready(now)
            if here is not None:
                if not self._run_here(here):
                    return False
                continue
            if self._all_done():
                break  # the last steps could not start (bad references)
            wait = min(self.executor.check_every, self.deadline - self.executor.clock.now())
            changed = self._changed()
            changed.wait(max(0.0, wait.total_seconds()))
            changed.clear()  # before the next look, so a later finish is not missed
        if self.failure is not None:
            self.on_done(self.failure)
        else:
            self.on_done(
                domain.RunOutcome.succeeded({name: self.outputs[name] for name in self.steps})
            )
        return True

    # -- steps starting ---------------------------------------------------------------------------

    def _start_ready(self, now: datetime) -> _Try | None:
        """Start the steps that may start; the one to run on this thread, if it is the only
        step of the run to run now."""
        running = sum(1 for s in self.steps.values() if s.status is _Status.RUNNING)
        ready = [
            state
            for state in self.steps.values()
            if state.status is _Status.WAITING
            and (state.not_before or now) <= now
            and all(self.steps[d].state is State.SUCCEEDED for d in state.step.depends_on)
        ]
        tries: list[_Try] = []
        for state in ready:
            if running + len(tries) >= self.executor.step_concurrency:
                break
            started = self._start(state, now)
            if started is not None:
                tries.append(started)
        if running == 0 and len(tries) == 1:
            return tries[0]
        for started in tries:
            name = f"cronwright-step-{self.claimed.id}-{started.ctx.step}"
            threading.Thread(
                target=self._run_alone, args=(started, self._changed()), name=name, daemon=True
            ).start()
        return None

    def _start(self, state: _StepState, now: datetime) -> _Try | None:
        """A try of ``state``'s step, marked running; None if it could not start (a bad
        reference: recorded failed)."""
        step = state.step
        state.tries += 1
        state.started_at = state.started_at or now
        resolved = step
        if references.mentions_any(step.config):
            try:
                config = references.resolve(step.config, self._scope(step))
            except references.InvalidReferenceError as exc:  # trying again would not help
                self._finish(state, State.FAILED, None, str(exc), now, retry=False)
                return None
            assert isinstance(config, dict)
            resolved = dataclasses.replace(step, config=config)
        deadline = self.deadline if step.timeout is None else min(self.deadline, now + step.timeout)
        attempt = _Try(
            step=resolved,
            ctx=self._context(step.name, step.depends_on, deadline - now),
            deadline=deadline,
        )
        state.current, state.status, state.not_before = attempt, _Status.RUNNING, None
        return attempt

    def _scope(self, step: domain.Step) -> dict[str, domain.JsonValue]:
        """What ``step``'s references may read: the input, its ancestors' outputs, the slot."""
        return references.scope_for(
            self.claimed.run.input,
            {name: self.outputs[name] for name in references.ancestors(step.name, self._defs)},
            run=self.run_context.as_json(),
        )

    def _context(self, name: str, depends_on: Sequence[str], timeout: timedelta) -> StepContext:
        run = self.claimed.run
        return StepContext(
            run_id=run.id,
            org_id=run.org_id,
            attempt=run.attempt,
            step=name,
            input=run.input,
            upstream={upstream: self.outputs[upstream] for upstream in depends_on},
            timeout=timeout,
            run=self.run_context,
        )

    def _run_alone(self, attempt: _Try, changed: threading.Event) -> None:
        """A try on a thread of its own (one of several steps running at once)."""
        attempt.outcome = self._outcome(attempt)
        changed.set()

    def _run_here(self, attempt: _Try) -> bool:
        """A try on the driving thread, watched; False if it expired and another thread now
        drives the attempt."""
        token = self.executor.watchdog.watch(
            attempt.deadline, self.interrupt, lambda: self._expire(attempt)
        )
        outcome = self._outcome(attempt)
        with self.lock:
            if attempt.abandoned:
                return False
            attempt.outcome = outcome
        self.executor.watchdog.unwatch(token)
        return True

    def _expire(self, attempt: _Try) -> None:
        """On the watchdog's thread: the try run on the driving thread is past its time (or
        the run was interrupted). Stop it and drive on from a new thread."""
        attempt.ctx.stop.set()
        with self.lock:
            if attempt.outcome is not None:  # it returned just now: the driver goes on
                return
            attempt.abandoned = True
        if self.on_abandoned is not None:
            self.on_abandoned()
        name = f"cronwright-attempt-{self.claimed.id}"
        threading.Thread(target=self._drive_on, name=name, daemon=True).start()

    def _drive_on(self) -> None:
        try:
            self.drive()
        except Exception:  # nothing to finish: the lease will lapse and the reaper retries it
            log.exception("run %s attempt %s failed", self.claimed.id, self.claimed.attempt)
            self.on_done(None)

    def _outcome(self, attempt: _Try) -> StepOutcome:
        try:
            action = attempt.action or self.executor.registry.build(attempt.step)
            return action.run(attempt.ctx)
        except errors.CronwrightError as exc:
            return StepOutcome.failure(str(exc))
        except BaseException as exc:  # the step's failure, whatever the action raised
            return StepOutcome.failure(f"{type(exc).__name__}: {exc}")

    # -- steps ending -----------------------------------------------------------------------------

    def _collect(self, now: datetime) -> None:
        for state in self._in(_Status.RUNNING):
            attempt = state.current
            assert attempt is not None
            outcome = attempt.outcome
            if outcome is not None:
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
                domain.RunOutcome.timed_out
                if ended is State.TIMED_OUT
                else domain.RunOutcome.failed
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

    def _time_out_run(self) -> domain.RunOutcome:
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
        return domain.RunOutcome.timed_out(f"{where}: {error}")

    def _end_running(self, ended: State, error: str | None) -> None:
        for state in self._in(_Status.RUNNING):
            assert state.current is not None
            state.current.ctx.stop.set()
            state.status, state.state = _Status.DONE, ended
            self._record(state, ended, None, error)

    # -- helpers ----------------------------------------------------------------------------------

    def _changed(self) -> threading.Event:
        """Set by a step's own thread when it ends; made when the first such thread starts."""
        if self.changed is None:
            self.changed = threading.Event()
        return self.changed

    def _all_done(self) -> bool:
        return all(s.status is _Status.DONE for s in self.steps.values())

    @property
    def _defs(self) -> dict[str, domain.Step]:
        return {name: state.step for name, state in self.steps.items()}

    def _in(self, status: _Status) -> Iterator[_StepState]:
        return iter([s for s in self.steps.values() if s.status is status])

    def _record(
        self, state: _StepState, ended: State, output: domain.JsonValue, error: str | None
    ) -> None:
        self.executor.recorder.record_step(
            domain.StepRecord(
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
