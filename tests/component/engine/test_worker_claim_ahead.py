"""A worker that claims ahead holds runs due within its horizon and starts each at its time, on
SQLite and PostgreSQL, with a fake clock: nothing sleeps, the test moves time."""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from tests.component.engine.conftest import Bench, python_step, wait_until_idle
from tests.support.rows import add_run

from cronwright import domain
from cronwright.actions import StepContext
from cronwright.clock import FakeClock, SystemClock
from cronwright.engine import worker
from cronwright.engine.worker import Worker
from cronwright.engine.writer import GroupCommitWriter
from cronwright.store.catalog import sql_catalog

State = domain.RunState
AHEAD = timedelta(seconds=1)
GRACE = timedelta(seconds=30)
HALF = timedelta(milliseconds=500)


@pytest.fixture
def bench(database_url: str, t0: datetime) -> Iterator[Bench]:
    store = sql_catalog.SqlCatalog.from_url(database_url)
    yield Bench(store, FakeClock(t0))
    store.close()


class Recorder:
    """A python action that notes the fake clock's time when it starts."""

    def __init__(self, bench: Bench) -> None:
        self.started: list[datetime] = []
        self.ran = threading.Event()
        bench.functions.register("note", self)
        self._clock = bench.clock

    def __call__(self, ctx: StepContext) -> None:
        self.started.append(self._clock.now())
        self.ran.set()


_names = itertools.count(1)  # workflow names are unique in an organization


def note_workflow(bench: Bench, name: str) -> domain.Workflow:
    """A one-step workflow calling the ``note`` action."""
    definition = domain.parse_definition(
        {"steps": [python_step("s", "note")]},
        kinds=bench.registry.kinds,
        check_config=bench.registry.check_config,
    )
    return bench.store.add_workflow(
        org_id=bench.org.id, name=name, definition=definition, now=bench.clock.now()
    )


def run_at(
    bench: Bench, workflow: domain.Workflow, at: datetime, schedule: domain.Schedule | None = None
) -> domain.Run:
    """A run of ``workflow`` available at ``at``: a slot of ``schedule``, or manual."""
    added = add_run(
        bench.store,
        domain.NewRun(
            org_id=bench.org.id,
            workflow_id=workflow.id,
            schedule_id=None if schedule is None else schedule.id,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL if schedule is None else domain.Trigger.SCHEDULE,
            scheduled_for=at,
            available_at=at,
            max_attempts=3,
            created_at=bench.clock.now(),
        ),
    )
    assert added is not None
    return added


def future_run(bench: Bench, at: datetime) -> domain.Run:
    """A run of a one-step workflow, available at ``at``."""
    return run_at(bench, note_workflow(bench, f"w-{next(_names)}"), at)


def ahead_worker(bench: Bench, **options: object) -> Worker:
    return Worker(
        bench.queue,
        bench.executor,
        bench.clock,
        worker_id="w1",
        claim_ahead=AHEAD,
        **options,  # type: ignore[arg-type]
    )


def test_a_run_claimed_ahead_starts_at_its_time_not_before(bench: Bench) -> None:
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = future_run(bench, t0 + HALF)
    pool = ahead_worker(bench)
    assert [c.id for c in pool.claim_once()] == [run.id]
    assert pool.held == 1
    assert bench.get(run).state is State.RUNNING  # claimed: leased and counted now
    assert pool.start_due() == 0  # not yet its time
    assert recorder.started == []
    bench.clock.advance(HALF)
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert recorder.started == [t0 + HALF]
    done = bench.get(run)
    assert (done.state, done.attempt, done.started_at) == (State.SUCCEEDED, 1, t0 + HALF)


def test_runs_leave_no_reference_cycles_behind(bench: Bench) -> None:
    """A run's objects are freed when it ends, not left to the cyclic garbage collector:
    at 1,000 runs/s its full collections paused the process ~150 ms every second or two."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    ahead, now = future_run(bench, t0 + HALF), future_run(bench, t0)
    flags = gc.get_debug()
    gc.collect()
    gc.set_debug(flags | gc.DEBUG_SAVEALL)  # what a collection finds is kept for us to read
    try:
        pool = ahead_worker(bench)
        assert sorted(c.id for c in pool.claim_once()) == sorted([ahead.id, now.id])
        bench.clock.advance(HALF)
        assert pool.start_due() == 1
        pool.stop(GRACE)
        assert len(recorder.started) == 2
        gc.collect()
        left = {
            type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("cronwright")
        }
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    assert left == set()
    assert {bench.get(r).state for r in (ahead, now)} == {State.SUCCEEDED}


def test_a_claim_that_holds_runs_tells_the_node_and_one_that_holds_none_does_not(
    bench: Bench,
) -> None:
    recorder = Recorder(bench)
    told: list[int] = []
    pool = ahead_worker(bench, on_held=lambda: told.append(len(told) + 1))
    due_now = future_run(bench, bench.clock.now())
    assert [c.id for c in pool.claim_once()] == [due_now.id]
    assert recorder.ran.wait(10)
    assert told == []
    bench.clock.advance(2 * worker.AHEAD_RECHECK)  # past the read that found nothing ahead
    ahead = future_run(bench, bench.clock.now() + HALF)
    assert [c.id for c in pool.claim_once()] == [ahead.id]
    assert (told, pool.held) == ([1], 1)
    pool.stop(GRACE)


def test_a_worker_is_quiet_only_with_nothing_running_and_nothing_starting_soon(
    bench: Bench,
) -> None:
    recorder = Recorder(bench)
    pool = ahead_worker(bench)
    assert pool.quiet(HALF)
    future_run(bench, bench.clock.now() + HALF)
    pool.claim_once()
    assert pool.held == 1
    assert not pool.quiet(HALF)  # starts within half a second
    assert pool.quiet(HALF / 2)
    bench.clock.advance(HALF)
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert pool.quiet(HALF)


def test_without_a_horizon_a_worker_claims_nothing_before_its_time(bench: Bench) -> None:
    Recorder(bench)
    run = future_run(bench, bench.clock.now() + HALF)
    pool = Worker(bench.queue, bench.executor, bench.clock, worker_id="w1")
    assert pool.claim_once() == []
    pool.stop(GRACE)
    assert bench.get(run).state is State.PENDING


def test_runs_beyond_the_horizon_wait_for_a_later_claim(bench: Bench) -> None:
    Recorder(bench)
    t0 = bench.clock.now()
    soon = future_run(bench, t0 + HALF)
    later = future_run(bench, t0 + 3 * AHEAD)
    pool = ahead_worker(bench)
    assert [c.id for c in pool.claim_once()] == [soon.id]
    pool.stop(GRACE)
    assert bench.get(later).state is State.PENDING


def test_held_runs_do_not_take_the_runners_room(bench: Bench) -> None:
    """With one runner and no prefetch, a claim still takes the run due now and holds the runs
    of the next second: held runs count against ``hold``, not against the runners."""
    Recorder(bench)
    t0 = bench.clock.now()
    due = future_run(bench, t0)
    held = [future_run(bench, t0 + HALF) for _ in range(3)]
    pool = ahead_worker(bench, concurrency=1, prefetch=0, hold=2)
    claimed = [c.id for c in pool.claim_once()]
    assert claimed == [due.id, held[0].id, held[1].id]
    assert pool.held == 2
    pool.stop(GRACE)
    assert bench.get(held[2]).state is State.PENDING


def test_a_worker_whose_runners_are_all_busy_leaves_the_next_run_to_an_idle_one(
    bench: Bench,
) -> None:
    """Its one runner busy with a run now, a worker does not hold the run of the next second
    (which might wait there for that run to end): a worker with a runner free claims it."""
    release = threading.Event()
    bench.functions.register("note", lambda ctx: release.wait(10))
    t0 = bench.clock.now()
    now_run = future_run(bench, t0)
    busy = ahead_worker(bench, concurrency=1, prefetch=0)
    assert [c.id for c in busy.claim_once()] == [now_run.id]
    next_run = future_run(bench, t0 + HALF)
    busy.wake()  # new runs were written: nothing known of what is due ahead holds any more
    assert busy.claim_once() == []
    assert bench.get(next_run).state is State.PENDING
    idle = Worker(bench.queue, bench.executor, bench.clock, worker_id="w2", claim_ahead=AHEAD)
    assert [c.id for c in idle.claim_once()] == [next_run.id]
    assert bench.get(next_run).worker_id == "w2"
    release.set()
    busy.stop(GRACE)
    idle.stop(GRACE)


def test_a_worker_with_no_room_waits_instead_of_claiming_in_a_loop(bench: Bench) -> None:
    """Its runner busy, a worker whose last claim took all it asked for has no room: the claim
    loop must wait for room (or a wake-up), not call claim after claim that take nothing while
    the runners need the GIL."""
    release = threading.Event()
    bench.functions.register("note", lambda ctx: release.wait(10))
    t0 = bench.clock.now()
    future_run(bench, t0)
    future_run(bench, t0)  # more than the one runner takes: the first claim took all it asked
    # The host's clock: a fake one moves to each deadline the loop sleeps until, at once.
    pool = Worker(
        bench.queue,
        bench.executor,
        SystemClock(),
        worker_id="w1",
        claim_ahead=AHEAD,
        concurrency=1,
        prefetch=0,
    )
    claims = 0
    claim_once = pool.claim_once

    def counted() -> list[domain.ClaimedRun]:
        nonlocal claims
        claims += 1
        return claim_once()

    pool.claim_once = counted  # type: ignore[method-assign]
    pool.start()
    threading.Event().wait(0.5)  # the loop runs on its own thread
    assert claims <= 5, f"{claims} claims in half a second with no room"
    release.set()
    pool.stop(GRACE)


def test_a_held_run_cancelled_before_its_time_never_starts(bench: Bench) -> None:
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = future_run(bench, t0 + HALF)
    pool = ahead_worker(bench)
    pool.claim_once()
    bench.queue.cancel(bench.org.id, run.id, now=t0)
    assert pool.beat() == {run.id}
    bench.clock.advance(HALF)
    pool.start_due()
    assert pool.active == 0
    pool.stop(GRACE)
    assert recorder.started == []
    assert bench.get(run).state is State.CANCELLED


def test_shutdown_gives_held_runs_back_at_their_time(bench: Bench) -> None:
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = future_run(bench, t0 + HALF)
    pool = ahead_worker(bench)
    pool.claim_once()
    pool.stop(GRACE)
    assert recorder.started == []
    released = bench.get(run)
    assert (released.state, released.attempt, released.available_at, released.worker_id) == (
        State.PENDING,
        0,
        t0 + HALF,
        None,
    )
    assert pool.active == 0


def test_a_running_worker_starts_held_runs_on_its_own(bench: Bench) -> None:
    """The threads: the claim loop claims ahead, the timed starts hand the run on at its time
    (the fake clock jumps to each deadline a loop sleeps until)."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = future_run(bench, t0 + HALF)
    pool = ahead_worker(bench)
    pool.start()
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert recorder.started[0] >= t0 + HALF
    assert bench.get(run).state is State.SUCCEEDED


def test_claims_in_a_burst_trust_a_fresh_read_that_found_nothing_ahead(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claim after claim of runs due now reads what is due ahead once, not before each claim;
    a wake-up (runs written) or the read growing old makes the next claim read again."""
    Recorder(bench)
    t0 = bench.clock.now()
    reads: list[datetime] = []  # the ``after`` of each read of the earliest pending run
    read = bench.queue.next_available_at

    def counted(*, after: datetime) -> datetime | None:
        reads.append(after)
        return read(after=after)

    monkeypatch.setattr(bench.queue, "next_available_at", counted)
    pool = ahead_worker(bench)
    first = future_run(bench, t0)
    assert [c.id for c in pool.claim_once()] == [first.id]
    assert t0 in reads  # read what is due ahead: nothing
    bench.clock.advance(timedelta(milliseconds=10))
    second = future_run(bench, bench.clock.now())  # written by another process: no wake-up
    reads.clear()
    assert [c.id for c in pool.claim_once()] == [second.id]
    assert bench.clock.now() not in reads  # the read of 10 ms ago still holds
    ahead = future_run(bench, bench.clock.now() + HALF)
    pool.wake()  # runs were written: read again
    reads.clear()
    assert [c.id for c in pool.claim_once()] == [ahead.id]
    assert bench.clock.now() in reads
    assert pool.held == 1
    bench.clock.advance(timedelta(milliseconds=10))
    pool.claim_once()  # nothing left due within the horizon: read, and trusted for a moment
    later = future_run(bench, bench.clock.now() + HALF)  # another process's, no wake-up
    bench.clock.advance(worker.AHEAD_RECHECK)
    reads.clear()
    assert [c.id for c in pool.claim_once()] == [later.id]  # the old read is read again
    assert bench.clock.now() in reads
    pool.stop(GRACE)


class HoldingWriter(GroupCommitWriter):
    """The worker's writer, keeping what the worker tells it to hold its batches back for."""

    def defer_while(self, busy: Callable[[], bool], *, at_most: timedelta = AHEAD) -> None:
        self.busy = busy
        super().defer_while(busy, at_most=at_most)


def test_records_are_held_back_while_held_runs_are_about_to_start(bench: Bench) -> None:
    """The group-commit writer leaves the database and the GIL to the starts: it holds its
    batches back from just before held runs are due until a runner took each of them."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    future_run(bench, t0 + HALF)
    writer = HoldingWriter(bench.queue)
    pool = ahead_worker(bench, writer=writer)
    assert not writer.busy()  # nothing held
    pool.claim_once()
    assert not writer.busy()  # held, due in half a second
    bench.clock.advance(HALF - worker.QUIET_BEFORE_STARTS)
    assert writer.busy()  # due within the quiet spell: a batch would delay its start
    bench.clock.advance(worker.QUIET_BEFORE_STARTS)
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert not writer.busy()  # started: records may go


def test_a_worker_refuses_a_horizon_as_long_as_its_lease(bench: Bench) -> None:
    with pytest.raises(ValueError, match="claim_ahead"):
        Worker(bench.queue, bench.executor, bench.clock, claim_ahead=timedelta(seconds=30))
    with pytest.raises(ValueError, match="claim_ahead"):
        Worker(bench.queue, bench.executor, bench.clock, claim_ahead=-AHEAD)


def scheduled_run(bench: Bench, at: datetime, *, misfire_grace: timedelta) -> domain.Run:
    """A slot of a schedule (misfire applies to it) of a one-step workflow, due at ``at``."""
    number = next(_names)
    workflow = note_workflow(bench, f"w-{number}")
    schedule = bench.store.add_schedule(
        org_id=bench.org.id,
        spec=domain.ScheduleSpec(
            workflow_id=workflow.id,
            name=f"s-{number}",
            cron="* * * * *",
            misfire_grace=misfire_grace,
        ),
        hash_key="k",
        next_fire_at=None,
        author="test",
        now=bench.clock.now(),
    )
    return run_at(bench, workflow, at, schedule)


def test_a_held_run_whose_time_passed_beyond_the_misfire_grace_is_missed_not_started(
    bench: Bench,
) -> None:
    """The process stalled while it held the run: at its start the run is judged by its
    misfire policy like a run claimed late, not started late."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = scheduled_run(bench, t0 + HALF, misfire_grace=timedelta(seconds=1))
    pool = ahead_worker(bench)
    assert [c.id for c in pool.claim_once()] == [run.id]
    bench.clock.advance(HALF + timedelta(seconds=2))  # stalled past its time and its grace
    pool.start_due()
    pool.claim_once()  # the next claim judges the run given back
    pool.stop(GRACE)
    assert recorder.started == []
    missed = bench.get(run)
    assert missed.state is State.MISSED
    assert missed.reason is not None
    assert "misfire grace" in missed.reason


def test_a_held_run_started_late_within_the_misfire_grace_runs(bench: Bench) -> None:
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = scheduled_run(bench, t0 + HALF, misfire_grace=timedelta(seconds=5))
    pool = ahead_worker(bench)
    pool.claim_once()
    bench.clock.advance(HALF + timedelta(seconds=2))
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert bench.get(run).state is State.SUCCEEDED


def test_a_held_run_that_started_late_records_when_it_really_started(bench: Bench) -> None:
    """Its row said its planned start from the claim; the finish writes the real one, so a
    run's history (and every lag read from it) shows the time its runner took it."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    run = scheduled_run(bench, t0 + HALF, misfire_grace=timedelta(seconds=5))
    pool = ahead_worker(bench)
    pool.claim_once()
    assert bench.get(run).started_at == t0 + HALF  # planned, while it is held
    bench.clock.advance(HALF + timedelta(seconds=2))
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    done = bench.get(run)
    assert (done.state, done.started_at) == (State.SUCCEEDED, t0 + HALF + timedelta(seconds=2))
    assert recorder.started == [done.started_at]


def test_a_burst_is_claimed_ahead_as_early_as_claiming_it_takes(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty runs due at one time, at 100 ms a run to claim (as if measured): the claims start
    3 s before (20 x 100 ms x 1.5) and reach the burst's time, beyond the 1 s horizon; a lone
    run is claimed half the horizon before, as ever."""
    monkeypatch.setattr(worker, "DEFAULT_CLAIM_COST", timedelta(milliseconds=100))
    Recorder(bench)
    t0 = bench.clock.now()
    burst_at = t0 + 10 * AHEAD
    workflow = note_workflow(bench, "burst")
    burst = [run_at(bench, workflow, burst_at) for _ in range(20)]
    lone = future_run(bench, t0 + 20 * AHEAD)
    pool = ahead_worker(bench)
    assert pool.claim_ahead_at(lone.available_at) == lone.available_at - AHEAD / 2
    assert pool.claim_ahead_at(burst_at) == burst_at - timedelta(seconds=3)
    bench.clock.advance(timedelta(seconds=6))  # 4 s before the burst: not yet
    assert pool.claim_once() == []
    bench.clock.advance(timedelta(seconds=1))  # 3 s before
    assert sorted(c.id for c in pool.claim_once()) == sorted(run.id for run in burst)
    assert pool.held == 20
    pool.stop(GRACE)


def test_a_bursts_claims_go_on_once_begun_though_fewer_runs_are_left_to_claim(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimed 5 at a time, 20 runs at 100 ms a run: from 3 s before. Once 5 are held the 15
    left need only 2.25 s by the same count; the next claims still come at once, not 2.25 s
    before (when 20 more might be left than time to claim them)."""
    monkeypatch.setattr(worker, "DEFAULT_CLAIM_COST", timedelta(milliseconds=100))
    monkeypatch.setattr(worker, "MAX_AHEAD_BATCH", 5)
    Recorder(bench)
    t0 = bench.clock.now()
    burst_at = t0 + 10 * AHEAD
    workflow = note_workflow(bench, "burst")
    for _ in range(20):
        run_at(bench, workflow, burst_at)
    pool = ahead_worker(bench)
    bench.clock.advance(timedelta(seconds=7))
    assert pool.claim_ahead_at(burst_at) == bench.clock.now()  # (the claim loop asks first)
    taken = []
    for _ in range(4):
        taken.append(len(pool.claim_once()))
        bench.clock.advance(worker.EARLY_RECHECK)  # the count of the runs left is read again
    assert taken == [5, 5, 5, 5]
    assert pool.held == 20
    pool.stop(GRACE)


def test_a_burst_that_claiming_cannot_outrun_starts_at_most_max_early_before(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "DEFAULT_CLAIM_COST", timedelta(seconds=1))
    Recorder(bench)
    t0 = bench.clock.now()
    workflow = note_workflow(bench, "burst")
    for _ in range(20):
        run_at(bench, workflow, t0 + 10 * AHEAD)
    pool = ahead_worker(bench)
    assert pool.claim_ahead_at(t0 + 10 * AHEAD) == t0 + 10 * AHEAD - worker.MAX_EARLY
    pool.stop(GRACE)


def test_a_worker_whose_runs_take_long_holds_no_more_than_it_starts_in_a_second(
    bench: Bench,
) -> None:
    """Four runs due at once on 2 runners, each run taking 2 s: the last started 2-4 s after
    the first, so the worker starts at most 2 a second. Of a burst due at one time it then
    holds 2 (at least one a runner), not its ``hold`` of 10, and leaves the rest to the
    cluster's other workers."""
    started = threading.Event()

    def two_seconds(ctx: StepContext) -> None:
        bench.clock.advance(timedelta(seconds=2))
        started.set()

    bench.functions.register("note", two_seconds)
    t0 = bench.clock.now()
    workflow = note_workflow(bench, "first")
    for _ in range(4):
        run_at(bench, workflow, t0 + HALF)
    pool = ahead_worker(bench, concurrency=2, prefetch=0, hold=10)
    assert len(pool.claim_once()) == 4
    bench.clock.advance(HALF)
    assert pool.start_due() == 4
    assert started.wait(10)
    wait_until_idle(pool)
    later = bench.clock.now() + HALF
    burst = [run_at(bench, note_workflow(bench, f"b-{n}"), later) for n in range(6)]
    pool.wake()
    assert len(pool.claim_once()) == 2
    assert pool.held == 2
    other = Worker(bench.queue, bench.executor, bench.clock, worker_id="w2", claim_ahead=AHEAD)
    assert len(other.claim_once()) == 4
    assert sorted(str(bench.get(run).worker_id) for run in burst) == ["w1"] * 2 + ["w2"] * 4
    pool.stop(GRACE)
    other.stop(GRACE)


class Switch:
    """A collector switch that notes what the worker told it."""

    def __init__(self) -> None:
        self.told: list[str] = []

    def hold_off(self) -> None:
        self.told.append("hold off")

    def let_go(self) -> None:
        self.told.append("let go")


def test_the_collector_is_held_off_from_a_hand_on_until_each_run_has_a_runner(
    bench: Bench,
) -> None:
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    future_run(bench, t0 + HALF)
    switch = Switch()
    pool = ahead_worker(bench, collector=switch)
    pool.claim_once()
    assert switch.told == []  # held: nothing waits for a runner yet
    bench.clock.advance(HALF)
    assert pool.start_due() == 1
    assert recorder.ran.wait(10)
    pool.stop(GRACE)
    assert switch.told == ["hold off", "let go"]


def test_a_collector_held_off_while_every_runner_is_busy_is_let_go_after_a_while(
    bench: Bench,
) -> None:
    release = threading.Event()
    bench.functions.register("note", lambda ctx: release.wait(10))
    t0 = bench.clock.now()
    for _ in range(2):
        future_run(bench, t0 + HALF)
    switch = Switch()
    pool = ahead_worker(bench, collector=switch, concurrency=1, prefetch=0)
    assert len(pool.claim_once()) == 2
    bench.clock.advance(HALF)
    pool.start_due()  # one runner takes the first; the second waits for it
    assert switch.told == ["hold off"]
    bench.clock.advance(worker.COLLECTOR_HELD_AT_MOST)
    pool.beat()
    assert switch.told == ["hold off"]  # not past the limit yet
    bench.clock.advance(timedelta(milliseconds=1))
    pool.beat()
    assert switch.told == ["hold off", "let go"]
    release.set()
    pool.stop(GRACE)


def test_no_claim_ahead_while_runs_handed_on_have_not_all_started(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim ahead holds the GIL and the database for milliseconds: it waits until every run
    handed on at its time has started (here no runner thread is let start, so the runners are
    idle and the handed-on runs wait), then comes."""
    recorder = Recorder(bench)
    t0 = bench.clock.now()
    for _ in range(2):
        future_run(bench, t0 + HALF)
    pool = ahead_worker(bench, concurrency=4)
    start_runners = pool._start_runners
    monkeypatch.setattr(pool, "_start_runners", lambda: None)
    assert len(pool.claim_once()) == 2
    bench.clock.advance(HALF)
    assert pool.start_due() == 2
    next_second = future_run(bench, t0 + 2 * HALF)  # to be claimed from now
    pool.wake()
    assert pool.claim_once() == []
    monkeypatch.setattr(pool, "_start_runners", start_runners)
    with pool._changed:
        pool._start_runners()
    assert recorder.ran.wait(10)
    wait_until_idle(pool)
    assert [c.id for c in pool.claim_once()] == [next_second.id]
    pool.stop(GRACE)


def test_when_to_claim_a_burst_is_counted_once_in_a_while_not_at_every_sleep(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim loop asks before each sleep, many times a second under load: a count of the
    runs due at an instant is trusted for ``EARLY_RECHECK``."""
    Recorder(bench)
    at = bench.clock.now() + 10 * AHEAD
    future_run(bench, at)
    counts: list[datetime] = []
    pending_within = bench.queue.pending_within

    def counted(*, since: datetime, until: datetime) -> int:
        counts.append(since)
        return pending_within(since=since, until=until)

    monkeypatch.setattr(bench.queue, "pending_within", counted)
    pool = ahead_worker(bench)
    assert pool.claim_ahead_at(at) == pool.claim_ahead_at(at) == at - AHEAD / 2
    assert counts == [at]
    bench.clock.advance(worker.EARLY_RECHECK)
    pool.claim_ahead_at(at)
    assert counts == [at, at]
    pool.stop(GRACE)


def test_a_count_that_fails_leaves_the_claims_ahead_at_half_the_horizon(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim loop asks outside its claim's error handling: a database that does not answer
    must not end the loop."""
    Recorder(bench)
    at = bench.clock.now() + 10 * AHEAD
    future_run(bench, at)

    def down(*, since: datetime, until: datetime) -> int:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(bench.queue, "pending_within", down)
    pool = ahead_worker(bench)
    assert pool.claim_ahead_at(at) == at - AHEAD / 2
    pool.stop(GRACE)


def test_a_worker_woken_early_waits_to_claim_ahead_until_half_the_horizon_before(
    bench: Bench,
) -> None:
    """Woken by its own runs (its last start made, a run ended), a worker claiming at once
    everything within its horizon took every run of the next second before the other workers
    of the cluster woke to share them (they wake half the horizon before: claim_ahead_at)."""
    Recorder(bench)
    t0 = bench.clock.now()
    run = future_run(bench, t0 + AHEAD)
    pool = ahead_worker(bench)
    other = Worker(bench.queue, bench.executor, bench.clock, worker_id="w2", claim_ahead=AHEAD)
    assert pool.claim_ahead_at(t0 + AHEAD) == t0 + HALF
    bench.clock.advance(timedelta(milliseconds=100))
    assert pool.claim_once() == []
    bench.clock.advance(HALF - timedelta(milliseconds=100))
    assert [c.id for c in other.claim_once()] == [run.id]
    pool.stop(GRACE)
    other.stop(GRACE)
