"""What workers and schedulers hand to and get from the run queue and the slot ledger: a claimed
run, how an attempt ended, a step's record, a finish, the queue's counts, a live worker, and what
one materialising pass wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright.domain.capabilities import Capabilities
from cronwright.domain.enums import RunState
from cronwright.domain.ids import RunId, WorkflowId
from cronwright.domain.json_values import JsonValue
from cronwright.domain.run import Run, RunOrigin
from cronwright.domain.workflow import WorkflowDefinition

_ATTEMPT_FAILURES = frozenset({RunState.FAILED, RunState.TIMED_OUT})


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedRun:
    """A run now ``running`` for the claiming worker, with what it needs to execute it."""

    run: Run
    definition: WorkflowDefinition
    timeout: timedelta  # for the whole attempt; the schedule's, or the default for manual runs
    origin: RunOrigin | None = None  # the schedule version that made it, if any
    # Its schedule's misfire grace as the claim read it (None: no schedule): a run claimed
    # ahead is judged by it again at its start.
    misfire_grace: timedelta | None = None

    @property
    def id(self) -> RunId:
        return self.run.id

    @property
    def attempt(self) -> int:
        return self.run.attempt


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """How one attempt ended: ``succeeded``, ``failed`` or ``timed_out``."""

    state: RunState
    result: JsonValue = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.state not in _ATTEMPT_FAILURES | {RunState.SUCCEEDED}:
            raise ValueError(f"an attempt cannot end as {self.state.value}")

    @classmethod
    def succeeded(cls, result: JsonValue = None) -> RunOutcome:
        return cls(state=RunState.SUCCEEDED, result=result)

    @classmethod
    def failed(cls, error: str) -> RunOutcome:
        return cls(state=RunState.FAILED, error=error)

    @classmethod
    def timed_out(cls, error: str) -> RunOutcome:
        return cls(state=RunState.TIMED_OUT, error=error)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRecord:
    run_id: RunId
    attempt: int
    name: str
    kind: str
    state: RunState
    started_at: datetime | None
    finished_at: datetime | None
    output: JsonValue = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish:
    """One ``finish`` call, for :meth:`RunQueue.finish_many` and :meth:`RunQueue.write_batch`."""

    run_id: RunId
    worker_id: str
    attempt: int
    outcome: RunOutcome
    now: datetime
    # When the attempt really started, if not when its row says: a run claimed ahead has its
    # planned start there, and a runner may have taken it later.
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSnapshot:
    """Counts for :class:`~cronwright.engine.stats.EngineStats`, read in one transaction."""

    runs_by_state: dict[RunState, int]
    queue_depth: int  # pending and available now
    active_runs: int  # running
    dispatch_lags: tuple[timedelta, ...] = field(default=())  # first starts since ``since``


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveWorker:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    capabilities: Capabilities | None  # None: advertised nothing (runs anything)
    loops: JsonValue  # its process's loop health at its last heartbeat


@dataclass(frozen=True, slots=True, kw_only=True)
class Materialized:
    """What one :meth:`SlotLedger.materialize` call did."""

    schedules: int = 0  # schedules locked and planned
    pending: int = 0  # runs inserted as pending
    missed: int = 0  # runs inserted as missed
    existing: int = 0  # slots that already had a run (a replay, or a backfill got there first)
    failed: int = 0  # schedules whose plan raised; left as they were and logged
    more: bool = False  # a full batch, or a schedule capped: more is due right now


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertedRuns:
    """Which of the offered runs were written; the others' slots already had a run."""

    runs: tuple[Run, ...] = ()
    existing: tuple[datetime, ...] = field(default=())


WAITING_REASON_PREFIX = "waiting for a worker that can run "
WAITING_REASON_SUFFIX = " (no live worker can)"


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingRuns:
    """An organization's pending runs of one workflow that no live worker can execute."""

    workflow_id: WorkflowId
    reason: str
    count: int

    @property
    def missing(self) -> str:
        """What no live worker offers: ``step kind 'shell'``, ``python function 'save'``..."""
        return self.reason.removeprefix(WAITING_REASON_PREFIX).removesuffix(WAITING_REASON_SUFFIX)
