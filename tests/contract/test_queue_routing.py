"""Capability routing in the RunQueue contract, on SQLite and PostgreSQL: a claim takes only runs
whose every step the worker can execute, however many others are ahead of them."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.rows import add_run

from cronwright import domain
from cronwright.store.catalog import sql_catalog
from cronwright.store.run_queue import sql_queue

SECOND = timedelta(seconds=1)
PYTHON_ONLY = domain.Capabilities(kinds=frozenset({"python"}), python_functions=frozenset({"a"}))


def _workflow(
    store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    name: str,
    steps: list[dict[str, object]],
    t0: datetime,
) -> domain.Workflow:
    definition = domain.parse_definition({"steps": steps})
    return store.add_workflow(org_id=org.id, name=name, definition=definition, now=t0)


def _runs(
    store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    workflow: domain.Workflow,
    count: int,
    at: datetime,
) -> list[domain.Run]:
    made = []
    for n in range(count):
        added = add_run(
            store,
            domain.NewRun(
                org_id=org.id,
                workflow_id=workflow.id,
                schedule_id=None,
                schedule_version_id=None,
                trigger=domain.Trigger.MANUAL,
                scheduled_for=at + n * timedelta(microseconds=1),
                available_at=at + n * timedelta(microseconds=1),
                max_attempts=3,
                created_at=at,
            ),
        )
        assert added is not None
        made.append(added)
    return made


def test_a_claim_takes_only_what_the_worker_can_run_behind_any_backlog(
    store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    org = store.create_organization(name="acme", max_schedules=10, max_concurrent_runs=500, now=t0)
    other_function = _workflow(
        store, org, "b", [{"name": "s", "kind": "python", "config": {"function": "b"}}], t0
    )
    shell = _workflow(
        store, org, "sh", [{"name": "s", "kind": "shell", "config": {"argv": ["true"]}}], t0
    )
    mixed = _workflow(
        store,
        org,
        "mixed",
        [
            {"name": "one", "kind": "python", "config": {"function": "a"}},
            {
                "name": "two",
                "kind": "http",
                "config": {"url": "https://example.org"},
                "depends_on": ["one"],
            },
        ],
        t0,
    )
    mine = _workflow(
        store, org, "a", [{"name": "s", "kind": "python", "config": {"function": "a"}}], t0
    )
    # 60 runs this worker cannot execute come first, then 3 it can.
    blocked = _runs(store, org, other_function, 30, t0) + _runs(store, org, shell, 20, t0)
    blocked += _runs(store, org, mixed, 10, t0)
    runnable = _runs(store, org, mine, 3, t0 + SECOND)
    runs = sql_queue.SqlRunQueue(store.engine)
    taken: list[domain.RunId] = []
    for _ in range(3):  # the first claim may spend its batch learning what it cannot run
        taken += [
            c.id for c in runs.claim("w1", now=t0 + 2 * SECOND, limit=2, capabilities=PYTHON_ONLY)
        ]
    assert sorted(taken) == sorted(r.id for r in runnable)
    for run in blocked:
        found = store.get_run(org.id, run.id)
        assert (found.state, found.attempt, found.worker_id) == (domain.RunState.PENDING, 0, None)
    # A worker that advertises nothing takes anything.
    anything = runs.claim("w2", now=t0 + 2 * SECOND, limit=100)
    assert {c.id for c in anything} == {r.id for r in blocked}


def test_pending_runs_no_live_worker_can_run_are_given_the_reason(
    store: sql_catalog.SqlCatalog, t0: datetime
) -> None:
    org = store.create_organization(name="acme", max_schedules=10, max_concurrent_runs=500, now=t0)
    needs_b = _workflow(
        store, org, "b", [{"name": "s", "kind": "python", "config": {"function": "b"}}], t0
    )
    [waiting] = _runs(store, org, needs_b, 1, t0)
    runs = sql_queue.SqlRunQueue(store.engine)
    runs.register_worker("w1", host="h", pid=1, now=t0, capabilities=PYTHON_ONLY)
    assert runs.explain_waiting(now=t0 + SECOND, live_since=t0 - 30 * SECOND) == 1
    reason = "waiting for a worker that can run python function 'b' (no live worker can)"
    assert store.get_run(org.id, waiting.id).reason == reason
    assert runs.waiting_for_workers() == {reason: 1}
    # A live worker that can run it appears: the reason goes.
    can_b = domain.Capabilities(kinds=frozenset({"python"}), python_functions=frozenset({"b"}))
    runs.register_worker("w2", host="h", pid=2, now=t0 + 2 * SECOND, capabilities=can_b)
    assert runs.explain_waiting(now=t0 + 3 * SECOND, live_since=t0 - 30 * SECOND) == 0
    assert store.get_run(org.id, waiting.id).reason is None  # a live worker can run it now
    assert runs.waiting_for_workers() == {}
