"""The RunQueue's batch methods on SQLite and PostgreSQL: claims of many runs in one transaction
(limits still exact), and group commit (``write_batch``)
with every finish fenced on its own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.contract.test_queue import LEASE, SECOND, Env, running_count

from cronwright import domain
from cronwright.store.catalog import sql_catalog
from cronwright.store.run_queue import sql_queue

State = domain.RunState


@pytest.fixture
def env(store: sql_catalog.SqlCatalog, t0: datetime) -> Env:
    return Env(store, t0)


@pytest.fixture
def runs(store: sql_catalog.SqlCatalog) -> sql_queue.SqlRunQueue:
    return sql_queue.SqlRunQueue(store.engine, unit_random=lambda: 1.0)


def finish(
    run: domain.ClaimedRun | domain.Run,
    outcome: domain.RunOutcome,
    now: datetime,
    *,
    worker_id: str = "w1",
    attempt: int | None = None,
) -> domain.Finish:
    return domain.Finish(
        run_id=run.id,
        worker_id=worker_id,
        attempt=run.attempt if attempt is None else attempt,
        outcome=outcome,
        now=now,
    )


def step(run: domain.ClaimedRun, name: str, now: datetime) -> domain.StepRecord:
    return domain.StepRecord(
        run_id=run.id,
        attempt=run.attempt,
        name=name,
        kind="python",
        state=State.SUCCEEDED,
        started_at=now,
        finished_at=now,
        output={"step": name},
    )


# -- claiming in batches -------------------------------------------------------------------------


def test_a_batch_claim_returns_each_run_as_the_table_now_has_it(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    timed = env.schedule(timeout=timedelta(minutes=7))
    added = [env.run(timed, at=t0 - 3 * SECOND), env.run(at=t0 - 2 * SECOND), env.run(at=t0)]
    claimed = runs.claim("w1", now=t0, lease=LEASE, limit=10)
    assert [c.id for c in claimed] == [run.id for run in added]
    for run in claimed:
        assert run.run == env.get(run.id)  # built without reading back: the same as a read
        assert run.run.state is State.RUNNING
        assert run.attempt == 1
    assert [c.timeout for c in claimed] == [
        timedelta(minutes=7),
        domain.schedule.DEFAULT_TIMEOUT,
        domain.schedule.DEFAULT_TIMEOUT,
    ]


def test_a_batch_claim_stops_at_the_organizations_limit(
    store: sql_catalog.SqlCatalog, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    small = Env(store, t0, name="small", limit=3)
    big = Env(store, t0, name="big", limit=500)
    for n in range(8):
        small.run(at=t0 - (20 - n) * SECOND)  # older: first in line
    wanted = {big.run(at=t0 - SECOND).id for _ in range(4)}
    claimed = runs.claim("w1", now=t0, lease=LEASE, limit=50)
    assert len(claimed) == 7
    assert wanted <= {c.id for c in claimed}  # the full organization hides nobody
    assert running_count(store, org_id=small.org.id) == 3
    assert runs.claim("w2", now=t0, lease=LEASE, limit=50) == []  # still exact for the next


def test_a_batch_claim_respects_the_global_limit_and_the_process_capacity(
    env: Env, store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    limited = sql_queue.SqlRunQueue(store.engine, global_max_concurrent_runs=5)
    for n in range(12):
        env.run(at=t0 - n * SECOND)
    assert len(limited.claim("w1", now=t0, lease=LEASE, limit=50, process_capacity=2)) == 2
    assert len(limited.claim("w1", now=t0, lease=LEASE, limit=50, process_capacity=2)) == 0
    assert len(limited.claim("w2", now=t0, lease=LEASE, limit=50)) == 3
    assert running_count(store) == 5


def test_a_batch_claim_applies_overlap_to_runs_of_the_same_schedule(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    skip = env.schedule(overlap=domain.OverlapPolicy.SKIP)
    allow = env.schedule(overlap=domain.OverlapPolicy.ALLOW)
    skipped = [env.run(skip, at=t0 - n * SECOND) for n in (3, 2, 1)]
    allowed = [env.run(allow, at=t0 - n * SECOND) for n in (3, 2, 1)]
    claimed = {c.id for c in runs.claim("w1", now=t0, lease=LEASE, limit=50)}
    assert claimed == {skipped[0].id} | {run.id for run in allowed}
    assert [env.get(run).state for run in skipped] == [State.RUNNING, State.SKIPPED, State.SKIPPED]


# -- group commit --------------------------------------------------------------------------------


def test_finish_many_fences_each_run_on_its_own(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    for n in range(4):
        env.run(at=t0 - n * SECOND)
    done, stale, cancelled, foreign = runs.claim("w1", now=t0, lease=LEASE, limit=4)
    runs.cancel(env.org.id, cancelled.id, now=t0)
    later = t0 + SECOND
    results = runs.write_batch(
        (),
        [
            finish(done, domain.RunOutcome.succeeded({"ok": 1}), later),
            finish(stale, domain.RunOutcome.succeeded(), later, attempt=stale.attempt + 1),
            finish(cancelled, domain.RunOutcome.succeeded(), later),
            finish(foreign, domain.RunOutcome.succeeded(), later, worker_id="w2"),
        ],
    )
    first, *others = results
    assert first is not None
    assert others == [None, None, None]
    assert first == env.get(done.id)  # what the caller gets is what the table has
    assert (first.state, first.result, first.finished_at) == (State.SUCCEEDED, {"ok": 1}, later)
    assert [env.get(run.id).state for run in (stale, cancelled, foreign)] == [
        State.RUNNING,
        State.CANCELLED,
        State.RUNNING,
    ]


def test_a_second_finish_of_the_same_attempt_in_one_batch_is_fenced_out(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    env.run()
    [run] = runs.claim("w1", now=t0, lease=LEASE, limit=1)
    first, second = runs.write_batch(
        (),
        [
            finish(run, domain.RunOutcome.succeeded("first"), t0),
            finish(run, domain.RunOutcome.failed("second"), t0),
        ],
    )
    assert first is not None
    assert first.result == "first"
    assert second is None
    assert env.get(run.id).state is State.SUCCEEDED


def test_a_failed_attempt_in_a_batch_is_retried_after_its_backoff_like_finish(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    env.run(max_attempts=2)
    env.run(max_attempts=1)
    retried, final = runs.claim("w1", now=t0, lease=LEASE, limit=2)
    results = runs.write_batch(
        (),
        [
            finish(retried, domain.RunOutcome.failed("boom"), t0),
            finish(final, domain.RunOutcome.timed_out("slow"), t0),
        ],
    )
    assert [(r.state, r.error) for r in results if r is not None] == [
        (State.PENDING, "boom"),
        (State.TIMED_OUT, "slow"),
    ]
    assert env.get(retried.id).available_at == t0 + timedelta(seconds=5)


def test_write_batch_records_steps_and_finishes_together(
    env: Env, runs: sql_queue.SqlRunQueue, store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    env.run(at=t0 - SECOND)
    env.run()
    one, two = runs.claim("w1", now=t0, lease=LEASE, limit=2)
    steps = [step(one, "a", t0), step(one, "b", t0), step(two, "a", t0)]
    results = runs.write_batch(steps, [finish(one, domain.RunOutcome.succeeded(), t0)])
    assert [r is not None for r in results] == [True]
    runs.write_batch([step(two, "a", t0 + SECOND)], ())  # idempotent per run, name and attempt
    assert [s.name for s in store.list_run_steps(env.org.id, one.id)] == ["a", "b"]
    [recorded] = store.list_run_steps(env.org.id, two.id)
    assert recorded.finished_at == t0
    assert env.get(two.id).state is State.RUNNING  # its finish was not in the batch
    assert runs.write_batch([], []) == []


def test_next_available_at_is_the_earliest_pending_run_still_to_come(
    env: Env, runs: sql_queue.SqlRunQueue, t0: datetime
) -> None:
    assert runs.next_available_at(after=t0) is None
    env.run(at=t0)  # available now: not "to come"
    env.run(at=t0 + 5 * SECOND)
    env.run(at=t0 + 2 * SECOND)
    taken = env.run(at=t0 + SECOND)
    assert runs.next_available_at(after=t0) == t0 + SECOND
    runs.claim("w1", now=t0 + SECOND, lease=LEASE, limit=2)  # takes t0 and t0 + 1 s
    assert env.get(taken).state is State.RUNNING
    assert runs.next_available_at(after=t0) == t0 + 2 * SECOND
