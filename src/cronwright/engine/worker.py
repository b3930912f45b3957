"""The worker: claims runs in batches, executes them on its runner threads, keeps their leases.

Four kinds of threads: one claim loop, one heartbeat thread (extends the leases of every run the
worker holds and stops those it lost: cancelled or reaped), ``concurrency`` runner threads that
each drive one run at a time (:meth:`Executor.run`, which runs a lone step on the runner itself),
and the group-commit writer (:mod:`cronwright.engine.writer`) that writes step records and
finishes in batches. A runner abandoned in a step past its time (a sync function cannot be
stopped) is replaced by a new runner at once and ends when the step returns.

The claim loop keeps up to ``concurrency + prefetch`` runs (``prefetch`` defaults to twice the
concurrency; more while the worker is behind, see :mod:`cronwright.engine.backlog`): those
executing, a local buffer of claimed runs waiting for a runner, and those whose
finish is being written. It claims when the
buffer runs low (or a runner is idle), up to the room left, in one transaction, then sleeps until
a run ends, a wake-up arrives or the poll interval passes. Buffered runs are leased like the
others (``running`` in the database, counted by every limit) and heartbeated.

With ``claim_ahead`` (on in every process bootstrap builds), a claim also takes up to ``hold``
runs due within that horizon: held by :mod:`cronwright.engine.timed_starts` until their time,
then handed to the runners together, so that only a thread wake-up happens at the fire time.
A burst (more runs due at one time than half the horizon leaves time to claim) is claimed from
as long before its time as that takes at the measured cost a run (:meth:`Worker.claim_ahead_at`,
at most ``MAX_EARLY``); a worker holds no more than it was seen to start within ``HOLD_FOR``
(when more runs were due at once than it has runners), leaving the rest of a burst of long runs
to the other workers. Until every run handed on at its time has started, records wait, claims
ahead wait and the garbage collector is held off.
Held runs are leased, heartbeated and counted by every limit like the others; see
:meth:`cronwright.store.run_queue.sql_queue.RunQueue.claim` for how overlap and misfire treat them.

Shutdown (:meth:`Worker.stop`): stop claiming, release the buffered runs no idle runner takes,
let the runs executing finish within the grace period, write their outcomes, then release the
rest (back to ``pending``, the attempt not consumed) and stop their actions, unregister, return.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cronwright import clock, domain
from cronwright.engine import loop
from cronwright.engine.backlog import Backlog
from cronwright.engine.buffer import RunBuffer
from cronwright.engine.executor import Executor, Prepared
from cronwright.engine.stats import Counters
from cronwright.engine.timed_starts import TimedStarts
from cronwright.engine.writer import GroupCommitWriter
from cronwright.planning import misfire
from cronwright.store import contracts

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 5
DEFAULT_HEARTBEAT = timedelta(seconds=10)
DEFAULT_POLL_INTERVAL = timedelta(seconds=1)
DEFAULT_IDLE_POLL_INTERVAL = timedelta(seconds=5)
DEFAULT_SHUTDOWN_GRACE = timedelta(seconds=30)
DEFAULT_CLAIM_AHEAD = timedelta(seconds=1)  # for the processes bootstrap builds
DEFAULT_HOLD = 10_000  # runs held ahead of their time, at most
MAX_AHEAD_BATCH = 500  # runs claimed ahead per claim: the claim holds the write lock meanwhile
# A burst (more runs due at one time than half the horizon lets a worker claim) is claimed
# ahead from as long before its time as that takes, at the cost a run measured so far (this
# one until then) times EARLY_MARGIN, but at most MAX_EARLY before.
DEFAULT_CLAIM_COST = timedelta(microseconds=250)
EARLY_MARGIN = 1.5
MAX_EARLY = timedelta(seconds=5)
# A worker holds at most what it was seen to start within this (and at least one run a
# runner): a burst of long runs is left for the rest of the cluster.
HOLD_FOR = timedelta(seconds=1)
# How long the count of the runs due at an instant is trusted: the claim loop asks when to
# claim ahead each time it sleeps, many times a second under load.
EARLY_RECHECK = timedelta(milliseconds=250)
# How long a read that found no run due within the claim-ahead horizon is trusted without a
# wake-up: runs written meanwhile by another process are claimed ahead this much later.
AHEAD_RECHECK = timedelta(milliseconds=100)
# The garbage collector is held off until the runs handed on at their time have all started,
# for at most this long (see cronwright.engine.heap).
COLLECTOR_HELD_AT_MOST = timedelta(seconds=2)
# The group-commit writer holds its batch back while held runs are due within this: a batch
# takes the GIL (and SQLite's write lock) for milliseconds to tens of milliseconds.
QUIET_BEFORE_STARTS = timedelta(milliseconds=25)
STOP_TIMEOUT = timedelta(seconds=10)  # for interrupted runs to end, after the grace period
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # before any run: every pending run is after it


def _missed(claimed: domain.ClaimedRun, now: datetime) -> bool:
    """Whether a run claimed ahead, starting at ``now``, is past its misfire grace. Its
    lateness counts from ``available_at``: a run held ahead blocked its siblings, so the
    overlap policy cannot have kept it waiting (see planning.misfire)."""
    if claimed.misfire_grace is None:
        return False
    reason = misfire.missed_reason(
        trigger=claimed.run.trigger,
        attempt=claimed.attempt - 1,  # the claim counted this attempt
        runnable_at=claimed.run.available_at,
        grace=claimed.misfire_grace,
        now=now,
    )
    return reason is not None


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Collector(Protocol):
    """The switch of the garbage collector (:class:`cronwright.engine.heap.HeapSettler`)."""

    def hold_off(self) -> None: ...

    def let_go(self) -> None: ...


class RunListener(Protocol):
    """Told about each attempt this worker runs (metrics); must not raise or block."""

    def run_started(self, run: domain.Run, lag: timedelta) -> None: ...

    def run_finished(
        self, run: domain.Run, state: domain.RunState, duration: timedelta
    ) -> None: ...


@dataclass
class _InFlight:
    claimed: domain.ClaimedRun
    interrupt: threading.Event = field(default_factory=threading.Event)
    released: bool = False
    finishing: bool = False  # executed; its finish is queued for the writer
    held: bool = False  # claimed ahead: waits for its time in the timed starts
    handed_on: bool = False  # claimed ahead, its time came: not started yet
    prepared: Prepared | None = None  # claimed ahead: ready to start (Executor.prepare)
    runner: threading.Thread | None = None  # driving it
    started_at: datetime | None = None  # when a runner started it


class Worker:
    def __init__(
        self,
        runs: contracts.RunQueue,
        executor: Executor,
        clock: clock.Clock,
        *,
        worker_id: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        prefetch: int | None = None,
        writer: GroupCommitWriter | None = None,
        lease: timedelta = contracts.DEFAULT_LEASE,
        heartbeat: timedelta = DEFAULT_HEARTBEAT,
        poll_interval: timedelta = DEFAULT_POLL_INTERVAL,
        idle_poll_interval: timedelta = DEFAULT_IDLE_POLL_INTERVAL,
        shutdown_grace: timedelta = DEFAULT_SHUTDOWN_GRACE,
        listeners: Sequence[RunListener] = (),
        capabilities: Callable[[], domain.Capabilities] | None = None,
        report: Callable[[], domain.JsonValue] | None = None,
        claim_ahead: timedelta = timedelta(0),
        hold: int = DEFAULT_HOLD,
        on_held: Callable[[], None] | None = None,
        collector: Collector | None = None,
    ) -> None:
        """``capabilities``: what this worker can execute, read at each claim (python functions
        may be registered late); it claims only runs it can execute. None: anything.
        ``report``: the process's loop health, written to the registry row at each beat.
        ``on_held``: called after a claim that took runs ahead and prepared them (the node
        freezes the heap there: :meth:`cronwright.engine.heap.HeapSettler.freeze`).
        ``collector``: held off until the runs handed on at their time have all started, for
        at most ``COLLECTOR_HELD_AT_MOST``."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        prefetch = 2 * concurrency if prefetch is None else prefetch
        if prefetch < 0:
            raise ValueError("prefetch must not be negative")
        if heartbeat >= lease:
            raise ValueError("the heartbeat must come more often than the lease expires")
        if claim_ahead < timedelta(0) or claim_ahead >= lease - heartbeat:
            raise ValueError("claim_ahead must be at least 0 and well within the lease")
        if hold < 0:
            raise ValueError("hold must not be negative")
        self.worker_id = worker_id or new_worker_id()
        self.counters = Counters()
        self._runs = runs
        self._executor = executor
        self._clock = clock
        self._concurrency = concurrency
        self._prefetch = prefetch
        # Runs due now kept waiting for a runner: ``prefetch``, more while behind.
        self._backlog = Backlog(prefetch=prefetch, most=MAX_AHEAD_BATCH, window=HOLD_FOR)
        # The executor's step recorder should be this writer too, so that a run's step records
        # and its finish share batches (see cronwright.bootstrap).
        self._writer = writer or GroupCommitWriter(runs)
        # Records wait while runs handed on at their time have not all started, and while held
        # runs are about to be handed on: at a fire time the starts come first.
        self._writer.defer_while(self._starts_near)
        self._lease = lease
        self._heartbeat = heartbeat
        self._poll_interval = poll_interval
        self._idle_poll_interval = max(poll_interval, idle_poll_interval)
        self._shutdown_grace = shutdown_grace
        self._listeners = tuple(listeners)
        self._capabilities = capabilities
        self._report = report
        self._advertised: domain.Capabilities | None = None  # in the registry row
        self._ahead = claim_ahead
        self._hold = hold if claim_ahead > timedelta(0) else 0
        self._max_early = min(MAX_EARLY, (lease - heartbeat - claim_ahead) / 2)
        # (from when, up to when): the claims ahead of a burst, early enough to hold it all.
        self._burst: tuple[datetime, datetime] | None = None
        self._claim_cost = DEFAULT_CLAIM_COST  # a run's claim ahead and preparation, measured
        # (instant, when counted, claim from): the last answer of claim_ahead_at.
        self._early: tuple[datetime, datetime, datetime] | None = None
        # Runs a second this worker started from a hand-on that had more than its runners
        # (None: never measured), from the spell of starts (began, runs handed on) under way.
        self._start_rate: float | None = None
        self._spell: tuple[datetime, int] = (_LONG_AGO, 0)
        self._starts: TimedStarts[_InFlight] = TimedStarts(clock, self._due)
        self._on_held = on_held
        self._collector = collector
        self._collector_held_since: datetime | None = None
        self._held = 0  # runs in flight held in the timed starts
        # Runs handed on at their time whose action has not been called yet: until none is
        # left, records wait, claims ahead wait and the collector is held off.
        self._starting = 0
        self._starting_lock = threading.Lock()
        # Starts made while runs due now waited for a runner: logged and told to the listeners
        # once none waits (a start's report is not part of the start).
        self._unreported: deque[tuple[domain.Run, timedelta]] = deque()
        self._more = False  # the last claim took all it asked for: claim again at once
        self._in_flight: dict[domain.RunId, _InFlight] = {}
        self._next_available_at: datetime | None = None  # of a pending run, after a short claim
        self._found_nothing = False  # the last claim took no run: probe before the next one
        # When a read last found no run due within the claim-ahead horizon, and what it found.
        self._none_ahead: tuple[datetime, datetime | None] | None = None
        lock = threading.RLock()
        self._changed = threading.Condition(lock)  # runs in flight or runners changed
        self._work = threading.Condition(lock)  # the buffer has runs, or the worker stops
        # Claimed, waiting for a runner.
        self._buffer: RunBuffer[_InFlight] = RunBuffer(lambda e: e.claimed.run.available_at)
        self._buffered = 0  # runs ever put in the buffer (under the lock)
        self._runners: set[threading.Thread] = set()  # not abandoned
        self._busy = 0  # runners awake, taking runs from the buffer or driving one
        self._finishing = 0  # runs in flight whose finish is queued for the writer
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # Sleeping on its own event (not the clock) keeps the claim loop's wake-ups its own.
        self.heartbeats = loop.Loop(
            "heartbeat",
            self._heartbeat_round,
            clock,
            interval=heartbeat,
            backoff_initial=min(heartbeat, timedelta(seconds=1)),
            backoff_max=heartbeat,
            initial_delay=heartbeat,
            sleep_on_clock=False,
        )

    # -- one step at a time (the loops below, and tests) -----------------------------------------

    @property
    def active(self) -> int:
        with self._changed:
            return len(self._in_flight)

    def claim_once(self) -> list[domain.ClaimedRun]:
        """Claim runs for the free threads and the local buffer, in one transaction, and hand
        them to the executor threads; nothing while the buffer still holds half its prefetch
        (a bigger batch later costs one transaction instead of many)."""
        now = self._clock.now()
        # Set again below when a claim took all it asked for; a claim that returns early (no
        # room, nothing due) must not leave the loop thinking there is more to take at once:
        # it would spin, claiming nothing, while the runners need the GIL.
        self._more = False
        with self._changed:
            if self._stopping.is_set():
                return []
            taken = self._taken()  # by the runners so far, as of ``now``
            self._backlog.measure(now, taken=taken)
            capacity = self._concurrency + self._backlog.room
            finishing, holding = self._finishing, self._held
            free = self._free() if self._wants_runs() else 0
            # Only a worker with a runner idle now claims ahead: one whose runners are all busy
            # would hold runs that may have to wait for a runner at their time, while another
            # worker sits idle (and would take every slot of a schedule from the others).
            # Nor while runs handed on at their time are starting: the claim would take the
            # GIL and the database from them (it comes once they have: _started_one).
            ahead_free = (
                min(self._hold_limit() - holding, MAX_AHEAD_BATCH)
                if self._idle_runner() and not self._starting
                else 0
            )
            if free <= 0 and ahead_free <= 0:
                return []
        horizon = now + self._ahead
        in_burst = False  # claiming ahead of a burst: claim after claim until all is held
        if self._burst is not None:
            claim_from, reach = self._burst
            if reach <= now:  # its time came
                self._burst = None
            elif claim_from <= now:
                horizon = max(horizon, reach)
                in_burst = True
        if self._found_nothing:
            # The last claim found nothing: a read (no write lock) tells whether a run is due
            # now (or within the horizon), which is all an idle worker's poll needs to know.
            earliest = self._runs.next_available_at(after=_LONG_AGO)
            if earliest is None or earliest > horizon:
                self._next_available_at = earliest
                return []
        if ahead_free > 0:
            # A read tells whether any run is due within the horizon: if none, the claim asks
            # for none ahead (its candidates would be read for nothing, under the write lock).
            upcoming = self._upcoming(now, horizon)
            # Nor before it is time to claim them: woken early (its last start made, a run
            # ended), a worker would take every run of the next instant before the other
            # workers of the cluster wake (at that time) to share them. (A burst's claims go
            # on once begun: the runs left to claim shrink the time it says they need.)
            if (
                upcoming is None
                or upcoming > horizon
                or (not in_burst and self.claim_ahead_at(upcoming) > now)
            ):
                ahead_free = 0
                if free <= 0:
                    self._next_available_at = upcoming
                    return []
        claimed = self._runs.claim(
            self.worker_id,
            now=now,
            lease=self._lease,
            limit=max(0, free),
            # Runs whose finish is being written are still ``running`` in the table but hold
            # no thread: they do not count against this worker's capacity. Held runs count
            # against ``hold``, not against the runners'.
            process_capacity=capacity + finishing + holding + max(0, ahead_free),
            capabilities=None if self._capabilities is None else self._capabilities(),
            ahead=horizon - now,
            ahead_limit=max(0, ahead_free),
        )
        self.counters.claimed(len(claimed))
        self._found_nothing = not claimed
        entries = [_InFlight(run) for run in claimed]
        held: list[tuple[datetime, _InFlight]] = []
        for entry in entries:
            start_at = entry.claimed.run.started_at
            if start_at is not None and start_at > now:  # claimed ahead
                entry.held = True
                held.append((start_at, entry))
                self._prepare(entry)  # before its time: only the action is left
        if held:
            self._measure_claim(now, len(claimed))
        self._backlog.claimed(now, asked=max(0, free), got=len(claimed) - len(held), taken=taken)
        asked = max(0, free) + max(0, ahead_free)
        # All it asked for, or all it asked for ahead (at 1,000 runs a second, a second's runs
        # take several claims ahead): there may be more to take at once.
        self._more = bool(claimed) and (
            len(claimed) >= asked or (ahead_free > 0 and len(held) >= ahead_free)
        )
        if not self._more:  # nothing more to take now: when will there be?
            self._next_available_at = self._runs.next_available_at(after=horizon)
            if self._burst is not None and self._burst[0] <= now:
                self._burst = None  # claimed all it could ahead of that burst
        if claimed:
            with self._changed:
                for entry in entries:
                    self._in_flight[entry.claimed.id] = entry
                    if not entry.held:
                        self._buffer.put(entry)
                        self._buffered += 1
                self._held += len(held)
                self._start_runners()
                self._work.notify(len(claimed) - len(held))
            if held:
                self._starts.hold(held)
                if self._on_held is not None:
                    self._on_held()
        return claimed

    def claim_ahead_at(self, upcoming: datetime) -> datetime:
        """When to claim ahead the runs due at ``upcoming``: half the horizon before, or, for
        more runs than that leaves time to claim, as long before as claiming them takes (with
        a margin, at most ``MAX_EARLY``); the claims from then reach as far as ``upcoming``."""
        early = self._ahead / 2
        now = self._clock.now()
        known = self._early
        if known is not None and known[0] == upcoming and now - known[1] < EARLY_RECHECK:
            return known[2]
        if self._hold and upcoming - now > early:
            try:
                due = self._runs.pending_within(since=upcoming, until=upcoming + self._ahead / 2)
            except Exception:  # (the database may be restarting) claim as for a few runs
                log.exception("could not count the runs due at %s", upcoming.isoformat())
                due = 0
            needed = self._claim_cost * min(due, self._hold_limit()) * EARLY_MARGIN
            if needed > early:
                early = min(needed, self._max_early)
                self._burst = (upcoming - early, upcoming + self._ahead / 2)
        self._early = (upcoming, now, upcoming - early)
        return upcoming - early

    def _measure_claim(self, started: datetime, count: int) -> None:
        """Note what a claim ahead of ``count`` runs and their preparation cost a run."""
        took = self._clock.now() - started
        if took > timedelta(0):  # (a fake clock that did not move measures nothing)
            self._claim_cost = (self._claim_cost * 3 + took / count) / 4

    def _hold_limit(self) -> int:
        """``hold``, or what this worker started within ``HOLD_FOR`` when more runs were due
        at once than it has runners, if less (at least a run a runner): a worker holding a
        burst it starts late would keep it from the idle workers of the cluster."""
        rate = self._start_rate
        if self._hold == 0 or rate is None:
            return self._hold
        startable = int(rate * HOLD_FOR.total_seconds())
        return min(self._hold, max(self._concurrency, startable))

    def _upcoming(self, now: datetime, horizon: datetime) -> datetime | None:
        """The earliest pending run after ``now``. A read found none within the horizon a
        moment ago (and no wake-up said runs were written since): that answer, unread. In a
        burst, claim after claim takes runs due now, and a read before each cost as much as
        a tenth of the claim."""
        known = self._none_ahead
        if known is not None:
            read_at, upcoming = known
            if now - read_at < AHEAD_RECHECK and (upcoming is None or upcoming > horizon):
                return upcoming
        upcoming = self._runs.next_available_at(after=now)
        self._none_ahead = (now, upcoming) if upcoming is None or upcoming > horizon else None
        return upcoming

    def _prepare(self, entry: _InFlight) -> None:
        """Make ``entry``'s attempt ready to start (a run claimed ahead)."""
        try:
            entry.prepared = self._executor.prepare(
                entry.claimed,
                interrupt=entry.interrupt,
                on_done=lambda outcome: self._done(entry, outcome),
                on_abandoned=lambda: self._abandoned(entry.runner),
            )
        except Exception:  # prepared at its time instead, where a failure is handled
            log.exception("run %s could not be prepared", entry.claimed.id)

    def _due_waiting(self) -> bool:
        """Whether runs handed on at their time wait for a runner. Lock-free: the runners
        read it between runs."""
        return self._buffer.due_waiting

    def _idle_runner(self) -> bool:
        """Whether a runner has nothing to execute now (under ``self._changed``)."""
        busy = len(self._in_flight) - self._finishing - self._held
        return busy < self._concurrency

    def _taken(self) -> int:
        """Runs the runners have taken from the buffer so far (under ``self._changed``:
        counted from the puts, made under it, since runners take without a lock)."""
        return self._buffered - len(self._buffer)

    def _free(self) -> int:
        """Room for runs to execute now (under ``self._changed``): held runs do not count."""
        capacity = self._concurrency + self._backlog.room
        return capacity - (len(self._in_flight) - self._finishing - self._held)

    def _starts_near(self) -> bool:
        """Whether runs handed on at their time have not all started, or held runs are due within
        ``QUIET_BEFORE_STARTS``: a batch of records written now would hold the GIL and the
        database when they start. Lock-free (the writer asks before each batch)."""
        if self._starting:
            return True
        earliest = self._starts.peek_earliest()
        return earliest is not None and earliest - self._clock.now() <= QUIET_BEFORE_STARTS

    def _due(self, entries: list[_InFlight]) -> None:
        """Held runs whose time has come: to the runners, all at once (the starts' thread)."""
        with self._changed:
            self._held -= len(entries)
            due: list[_InFlight] = []
            late: list[_InFlight] = []
            now = self._clock.now()
            for entry in entries:
                entry.held = False
                if entry.released:  # taken back at shutdown
                    continue
                if entry.interrupt.is_set():  # lost while held (cancelled): nothing to run
                    self._in_flight.pop(entry.claimed.id, None)
                    continue
                if _missed(entry.claimed, now):
                    late.append(entry)
                    continue
                entry.handed_on = True
                due.append(entry)
            if due and self._collector is not None:
                self._collector.hold_off()  # until each started: _started_one
                self._collector_held_since = now
            with self._starting_lock:
                began, runs = self._spell if self._starting else (now, 0)
                self._spell = (began, runs + len(due))
                self._starting += len(due)
            self._buffer.put_due(due)
            self._buffered += len(due)
            self._work.notify(len(due))
            self._changed.notify_all()
        if not due:  # no runner will say that the runs due now all started
            self._writer.wake()
        self._give_back_missed(late)

    def _give_back_missed(self, entries: Sequence[_InFlight]) -> None:
        """Runs held ahead whose time passed beyond their misfire grace before they could start
        (the process stalled): not started late, but given back (``pending``, the attempt not
        consumed), so that the next claim records them missed, as a claim decides misfire for
        every run."""
        if not entries:
            return
        with self._changed:
            for entry in entries:
                entry.released = True
                self._in_flight.pop(entry.claimed.id, None)
            self._changed.notify_all()
        log.warning(
            "%d run(s) held ahead passed their misfire grace before they started", len(entries)
        )
        try:
            self._runs.release(
                self.worker_id,
                [entry.claimed.id for entry in entries],
                now=self._clock.now(),
                keep_time=True,
            )
        except Exception:  # their leases lapse and the reaper gives them back
            log.exception("could not give back %d run(s) past their misfire grace", len(entries))
        self._clock.wake()  # claim now: the claim records them missed

    def start_due(self) -> int:
        """Hand the held runs whose time has come to the runners (what the timed starts' thread
        does on its own); how many."""
        return self._starts.hand_on_due()

    @property
    def held(self) -> int:
        """Runs claimed ahead, waiting for their time."""
        with self._changed:
            return self._held

    def quiet(self, within: timedelta) -> bool:
        """Whether no run is executing or waiting for a runner, and no held run starts within
        ``within``: a moment for work that would delay starts (a full garbage collection)."""
        with self._changed:
            if len(self._in_flight) - self._held > 0:
                return False
        earliest = self._starts.peek_earliest()
        return earliest is None or earliest - self._clock.now() > within

    def _wants_runs(self) -> bool:
        """Whether to claim now (under ``self._changed``): there is room, and the buffer is
        empty or at most half its prefetch (a bigger batch later costs one transaction instead
        of many). Runs whose finish is being written hold no runner: they leave room."""
        free = self._free()
        return free > 0 and (not self._buffer or free >= max(1, self._prefetch // 2))

    def beat(self) -> set[domain.RunId]:
        """Extend the leases of the runs in flight; stop the ones this worker lost."""
        held_since = self._collector_held_since  # no runner came to let it go: all are busy
        if held_since is not None and self._clock.now() - held_since > COLLECTOR_HELD_AT_MOST:
            self._let_collector_go()
        with self._changed:
            ids = set(self._in_flight)
        changed = None
        if self._capabilities is not None:
            current = self._capabilities()
            changed = current if current != self._advertised else None
        lost = self._runs.heartbeat(
            self.worker_id,
            ids,
            now=self._clock.now(),
            lease=self._lease,
            capabilities=changed,
            loops=None if self._report is None else self._report(),
        )
        if changed is not None:
            self._advertised = changed
        with self._changed:
            for run_id in lost:
                entry = self._in_flight.get(run_id)
                if entry is not None and not entry.finishing:  # (a finishing one just ended)
                    log.info("run %s was taken from this worker; stopping it", run_id)
                    entry.interrupt.set()
        return lost

    def wake(self) -> None:
        """Look for work now (a wake-up arrived)."""
        self._none_ahead = None  # runs were written: read again what is due ahead
        self._clock.wake()

    # -- threads ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._advertised = None if self._capabilities is None else self._capabilities()
        self._runs.register_worker(
            self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            now=self._clock.now(),
            capabilities=self._advertised,
        )
        with self._changed:
            self._start_runners()
        if self._hold:
            self._starts.start()
        thread = threading.Thread(target=self._claim_loop, name="cronwright-claim", daemon=True)
        thread.start()
        self._threads.append(thread)
        self.heartbeats.start()

    def stop(self, grace: timedelta | None = None) -> None:
        """Stop claiming, wait up to ``grace`` for the runs in flight, release the rest."""
        grace = self._shutdown_grace if grace is None else grace
        self._stopping.set()
        with self._changed:
            self._work.notify_all()  # idle runners end once the buffer is empty
        self._clock.wake()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._starts.stop()
        self._let_collector_go()
        self._release(self._unstarted())  # buffered runs no thread will take: back now
        deadline = self._clock.now() + grace
        with self._changed:
            while self._in_flight:
                remaining = (deadline - self._clock.now()).total_seconds()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
        self.heartbeats.stop()  # the runs in flight were kept through the grace
        self._writer.flush()  # the outcomes of the runs that did finish
        with self._changed:
            # A run whose finish is queued has ended: the writer writes it, it is never given
            # back (a release winning the race would run a finished run again).
            leftovers = [entry for entry in self._in_flight.values() if not entry.finishing]
            for entry in leftovers:
                entry.released = True
        # The released attempts are given back and run again under the same number: their
        # step records must not outlive them (the re-run's would be refused as duplicates).
        self._writer.discard_steps(
            [(entry.claimed.id, entry.claimed.attempt) for entry in leftovers]
        )
        for entry in leftovers:
            entry.interrupt.set()
        self._writer.flush()  # finishes queued since, and any batch half-written
        self._release(leftovers)
        # Interrupted runs end as soon as their driver sees it (a runner stuck in a sync step is
        # abandoned and left behind); runners end once the buffer is empty.
        with self._changed:
            if not self._changed.wait_for(
                lambda: not self._runners and not self._in_flight, STOP_TIMEOUT.total_seconds()
            ):
                log.warning("stopped with %d run(s) still ending", len(self._in_flight))
        self._writer.close()
        try:
            self._runs.unregister_worker(self.worker_id)
        except Exception:
            log.exception("could not unregister worker %s", self.worker_id)

    def _unstarted(self) -> list[_InFlight]:
        """Take out of the buffer the runs no idle runner is about to start, and the held
        ones, marked released."""
        held = self._starts.take_all()
        with self._changed:
            for entry in held:
                entry.released = True
                self._in_flight.pop(entry.claimed.id, None)
            self._held -= len(held)
            idle = max(0, len(self._runners) - self._busy)
            unstarted: list[_InFlight] = []
            while len(self._buffer) > idle:  # the idle runners take the first ones
                newest = self._buffer.take_newest()
                if newest is None:
                    break
                entry = newest
                entry.released = True
                self._in_flight.pop(entry.claimed.id)
                unstarted.append(entry)
            unstarted.reverse()
            self._changed.notify_all()
        for entry in unstarted:
            self._started_one(entry)  # (a run handed on that will not start here)
        self._writer.wake()  # records held back for runs due now: those will not start here
        self._report_starts()
        return held + unstarted

    def _release(self, entries: Sequence[_InFlight]) -> None:
        if entries:
            released = self._runs.release(
                self.worker_id, [entry.claimed.id for entry in entries], now=self._clock.now()
            )
            log.info("released %d run(s) at shutdown: %s", len(released), released)

    def _claim_loop(self) -> None:
        idle_polls = 0  # polls in a row that found nothing, with no wake-up between them
        while not self._stopping.is_set():
            try:
                self.claim_once()
            except Exception:  # the database may be restarting: try again after the interval
                log.exception("claiming failed")
                self._more = False
            upcoming, self._next_available_at = self._next_available_at, None
            if self._stopping.is_set():
                return
            if self._more:  # took all it asked for: there may be more to take at once
                idle_polls = 0
                continue
            # An idle worker polls less and less often (1, 2, 4... poll intervals), up to the
            # idle poll interval: a wake-up (runs written in this process, NOTIFY on
            # PostgreSQL) still comes at once, and runs a scheduler writes ahead of their time
            # are seen before they are due.
            wait = self._poll_interval
            if self._found_nothing:
                wait = min(wait * 2 ** min(idle_polls, 16), self._idle_poll_interval)
                idle_polls += 1
            else:
                idle_polls = 0
            # Until then, a wake-up, or the next run becoming available (the runs of a burst
            # are written ahead of their second: no wake-up comes then).
            deadline = self._clock.now() + wait
            if upcoming is not None:
                # Half the horizon ahead (claims ahead of runs due at a whole second happen
                # half a second from the starts of the second before), earlier for a burst.
                deadline = min(deadline, self.claim_ahead_at(upcoming))
            self._clock.sleep_until(deadline)
            if self._clock.now() < deadline:  # woken: look often again
                idle_polls = 0

    def _heartbeat_round(self) -> datetime:
        next_beat_at = self._clock.now() + self._heartbeat
        self.beat()  # a failure is logged and retried by the loop: fine while the lease lasts
        return next_beat_at

    def _start_runners(self) -> None:
        """Start runners up to ``concurrency`` (under ``self._changed``)."""
        while len(self._runners) < self._concurrency and not self._stopping.is_set():
            runner = threading.Thread(target=self._run_loop, name="cronwright-run", daemon=True)
            self._runners.add(runner)
            runner.start()

    def _run_loop(self) -> None:
        """One runner: drive the buffered runs one at a time until the worker stops.

        Woken once, a runner takes run after run from the buffer until it is empty, with no
        lock (see engine.buffer): at a fire time one thread wake-up per runner,
        not one per run, and no runner queues for a lock behind another."""
        me = threading.current_thread()
        buffer = self._buffer
        while True:
            with self._changed:
                while not buffer and not self._stopping.is_set():
                    self._work.wait()
                if not buffer:  # stopping, nothing left to start
                    self._runners.discard(me)
                    self._changed.notify_all()
                    return
                self._busy += 1
            while (taken := buffer.take()) is not None:
                entry, _ = taken
                if not buffer:
                    with self._changed:
                        wants_runs = self._wants_runs()
                    if wants_runs:
                        self._clock.wake()  # the buffer ran dry: claim now
                if not self._execute(entry, me):
                    return  # abandoned in a step: a new runner took this one's place
                if self._unreported and not self._due_waiting():
                    self._report_starts()
            with self._changed:
                self._busy -= 1

    def _abandoned(self, runner: threading.Thread | None) -> None:
        """``runner`` is stuck in a step past its time: a new runner takes its place."""
        with self._changed:
            if runner is not None and runner in self._runners:
                self._runners.discard(runner)
                self._busy -= 1
                self._start_runners()
                self._changed.notify_all()

    def _execute(self, entry: _InFlight, runner: threading.Thread) -> bool:
        """Drive ``entry``'s run; False if this runner was abandoned in one of its steps."""
        claimed = entry.claimed
        entry.runner = runner
        now = self._clock.now()
        held_since = self._collector_held_since
        if held_since is not None and now - held_since > COLLECTOR_HELD_AT_MOST:
            self._let_collector_go()
        if entry.handed_on and _missed(claimed, now):  # stalled since it was handed on
            self._started_one(entry)
            self._give_back_missed([entry])
            return True
        # A run claimed ahead was planned to start at its row's ``started_at``: it starts now,
        # or then if a runner took it early; a run claimed now waited in the buffer since.
        entry.started_at = max(now, claimed.run.started_at or now)
        lag = entry.started_at - claimed.run.scheduled_for
        self._started_one(entry)
        if self._due_waiting():  # report it once the runs due now have all started
            self._unreported.append((claimed.run, lag))
        else:
            self._started(claimed.run, lag=lag)
        kept = True
        try:
            if entry.prepared is not None:
                kept = entry.prepared.drive()
            else:
                kept = self._executor.run(
                    claimed,
                    interrupt=entry.interrupt,
                    on_done=lambda outcome: self._done(entry, outcome),
                    on_abandoned=lambda: self._abandoned(runner),
                )
        except Exception:  # the lease will expire and the reaper retries the run
            log.exception("run %s attempt %s could not be executed", claimed.id, claimed.attempt)
            self._let_go(entry)
        return kept

    def _started_one(self, entry: _InFlight) -> None:
        """``entry``'s action is about to be called (or it will not be): once every run handed
        on has got that far, records, claims ahead and the collector may go."""
        if not entry.handed_on:
            return
        entry.handed_on = False
        with self._starting_lock:
            self._starting -= 1
            last = self._starting == 0
        if last:
            self._measure_starts()
            self._let_collector_go()
            self._writer.wake()
            self._clock.wake()  # claims ahead waited for the starts

    def _measure_starts(self) -> None:
        """The spell of starts just ended: how many runs a second it started, if more were due
        at once than there are runners (fewer say nothing of what the runners can take)."""
        began, runs = self._spell
        took = (self._clock.now() - began).total_seconds()
        if runs > self._concurrency and took > 0:
            rate = runs / took
            self._start_rate = (
                rate if self._start_rate is None else (self._start_rate * 3 + rate) / 4
            )

    def _let_collector_go(self) -> None:
        if self._collector is not None and self._collector_held_since is not None:
            self._collector_held_since = None
            self._collector.let_go()

    def _report_starts(self) -> None:
        """Log the starts made while runs due now waited (on whichever thread gets here)."""
        while True:
            try:
                run, lag = self._unreported.popleft()
            except IndexError:
                return
            self._started(run, lag=lag)

    def _done(self, entry: _InFlight, outcome: domain.RunOutcome | None) -> None:
        """The attempt ended (on the runner's thread, or the one that drove on after it)."""
        claimed = entry.claimed
        now = self._clock.now()
        started_at = entry.started_at or now
        finishing = queued = wants_runs = False
        try:
            with self._changed:
                # Decided under the lock that stop() takes to choose what to release: a run
                # is either released or finishing, never both.
                if outcome is not None and not entry.released:
                    entry.finishing = finishing = True
                    self._finishing += 1
                    wants_runs = self._wants_runs()  # its runner is free
            if not finishing:
                self._ended(claimed.run, None, self._clock.now() - started_at)
            else:
                assert outcome is not None
                # The run stays held (and heartbeated) until its batch commits.
                future = self._writer.finish(
                    claimed.id,
                    worker_id=self.worker_id,
                    attempt=claimed.attempt,
                    outcome=outcome,
                    now=now,
                    # Written only when the row's differs (claimed ahead, or it waited).
                    started_at=None if started_at == claimed.run.started_at else started_at,
                )
                if wants_runs:
                    self._clock.wake()  # its runner is free: claim now
                future.add_done_callback(
                    lambda done: self._finished(entry, outcome, started_at, done)
                )
                queued = True
        except Exception:  # the lease will expire and the reaper retries the run
            log.exception("run %s attempt %s could not be finished", claimed.id, claimed.attempt)
        finally:
            if not queued:
                self._let_go(entry)

    def _finished(
        self,
        entry: _InFlight,
        outcome: domain.RunOutcome,
        started_at: datetime,
        done: Future[domain.Run | None],
    ) -> None:
        """The finish of ``entry`` was written (or failed): on the writer's thread."""
        claimed = entry.claimed
        try:
            finished = done.result()
            if finished is None:
                log.info("run %s attempt %s was fenced out", claimed.id, claimed.attempt)
            else:
                self.counters.finished()
                self._ended(finished, outcome.state, self._clock.now() - started_at)
        except Exception:  # the lease will expire and the reaper retries the run
            log.exception("run %s attempt %s could not be finished", claimed.id, claimed.attempt)
        finally:
            self._let_go(entry)

    def _let_go(self, entry: _InFlight) -> None:
        # The prepared attempt's callbacks refer to the entry: without this the pair would
        # be a reference cycle, left for the cyclic garbage collector (a pause per second
        # at 1,000 runs/s) instead of being freed here.
        entry.prepared = None
        with self._changed:
            if self._in_flight.pop(entry.claimed.id, None) is not None and entry.finishing:
                self._finishing -= 1
            self._changed.notify_all()
            wants_runs = self._wants_runs()
        if wants_runs:
            self._clock.wake()  # room is free: claim now

    # -- one log line per run start and finish ----------------------------------------------------

    def _started(self, run: domain.Run, *, lag: timedelta) -> None:
        for listener in self._listeners:
            listener.run_started(run, lag)
        if not log.isEnabledFor(logging.INFO):  # spare building the record's fields
            return
        log.info(
            "run %s started: schedule %s, attempt %d, lag %.3fs",
            run.id,
            run.schedule_id,
            run.attempt,
            lag.total_seconds(),
            extra={
                "event": "run_started",
                "run_id": run.id,
                "schedule_id": run.schedule_id,
                "attempt": run.attempt,
                "lag_seconds": round(lag.total_seconds(), 6),
            },
        )

    def _ended(self, run: domain.Run, state: domain.RunState | None, duration: timedelta) -> None:
        """``state``: how the attempt ended; None when it was stopped (released, lost)."""
        if state is not None:
            for listener in self._listeners:
                listener.run_finished(run, state, duration)
        if not log.isEnabledFor(logging.INFO):
            return
        shown = state.value if state is not None else "stopped"
        retrying = state is not None and run.state is domain.RunState.PENDING
        log.info(
            "run %s finished: %s%s, schedule %s, attempt %d, duration %.3fs",
            run.id,
            shown,
            " (will retry)" if retrying else "",
            run.schedule_id,
            run.attempt,
            duration.total_seconds(),
            extra={
                "event": "run_finished",
                "run_id": run.id,
                "schedule_id": run.schedule_id,
                "attempt": run.attempt,
                "state": shown,
                "retrying": retrying,
                "duration_seconds": round(duration.total_seconds(), 6),
            },
        )
