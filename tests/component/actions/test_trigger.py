"""``trigger`` steps start runs of other workflows of the same organization (chaining); trigger
cycles and targets outside the organization are refused when a workflow is saved."""

from __future__ import annotations

from typing import Any

import pytest
from tests.component.actions.conftest import Server, workflows_of
from tests.component.engine.conftest import Bench, python_step
from tests.support.rows import add_run

from cronwright import domain, errors
from cronwright.actions import StepContext

State = domain.RunState


def trigger_step(name: str, workflow_id: int, *depends_on: str, **input: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "trigger",
        "config": {"workflow_id": workflow_id, "input": input},
        "depends_on": list(depends_on),
    }


def save(bench: Bench, name: str, *steps: dict[str, Any]) -> domain.Workflow:
    return workflows_of(bench).create(bench.org.id, name=name, definition={"steps": list(steps)})


def change(bench: Bench, workflow: domain.Workflow, *steps: dict[str, Any]) -> domain.Workflow:
    return workflows_of(bench).update(bench.org.id, workflow.id, definition={"steps": list(steps)})


def start(bench: Bench, workflow: domain.Workflow, **input: Any) -> domain.Run:
    now = bench.clock.now()
    added = add_run(
        bench.store,
        domain.NewRun(
            org_id=bench.org.id,
            workflow_id=workflow.id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=now,
            available_at=now,
            max_attempts=1,
            created_at=now,
            input=input,
        ),
    )
    assert added is not None
    return added


def test_a_trigger_step_starts_the_other_workflow_with_input_built_from_references(
    bench: Bench, server: Server
) -> None:
    received: list[domain.JsonObject] = []
    bench.functions.register("receive", lambda ctx: received.append(ctx.input))
    receiver = save(bench, "receiver", python_step("receive", "receive"))
    sender = save(
        bench,
        "sender",
        {"name": "fetch", "kind": "http", "config": {"url": f"{server.url}/echo/7"}},
        trigger_step(
            "hand_over",
            receiver.id,
            "fetch",
            path="{{ steps.fetch.output.body.path }}",
            who="{{ input.who }}",
        ),
    )
    parent = start(bench, sender, who="ada")
    outcome = bench.executor.execute(bench.claim(parent))
    assert outcome is not None
    assert outcome.state is State.SUCCEEDED
    [*_, hand_over] = bench.steps(parent)
    assert isinstance(hand_over.output, dict)
    child = bench.store.get_run(bench.org.id, domain.RunId(int(str(hand_over.output["run_id"]))))
    assert hand_over.output["workflow_id"] == receiver.id
    assert (child.workflow_id, child.trigger, child.state) == (
        receiver.id,
        domain.Trigger.CHAIN,
        State.PENDING,
    )
    assert child.schedule_id is None
    assert child.reason == f"started by step 'hand_over' of run {parent.id} (attempt 1)"
    assert child.input == {"path": "/echo/7", "who": "ada"}
    # The chained run is an ordinary run: a worker claims and executes it.
    bench.executor.execute(bench.claim(child))
    assert received == [{"path": "/echo/7", "who": "ada"}]


def test_a_trigger_of_a_workflow_deleted_since_fails_the_step(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    target = save(bench, "target", python_step("noop", "noop"))
    sender = save(bench, "sender", trigger_step("go", target.id))
    workflows_of(bench).delete(bench.org.id, target.id)
    outcome = bench.executor.execute(bench.claim(start(bench, sender)))
    assert outcome is not None
    assert outcome.state is State.FAILED
    assert str(target.id) in str(outcome.error)


def refused(bench: Bench, workflow: domain.Workflow, *steps: dict[str, Any]) -> errors.InvalidInput:
    with pytest.raises(errors.InvalidInput) as raised:
        change(bench, workflow, *steps)
    return raised.value


def test_a_trigger_cycle_is_refused_when_saved(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    noop = python_step("noop", "noop")
    a = save(bench, "a", noop)
    b = save(bench, "b", noop, trigger_step("to_a", a.id))
    c = save(bench, "c", noop, trigger_step("to_b", b.id))
    # a -> c would close a -> c -> b -> a.
    error = refused(bench, a, noop, trigger_step("to_c", c.id))
    assert error.field == "definition.steps[1].config"
    assert error.message == (
        f"trigger cycle: 'a' ({a.id}) -> 'c' ({c.id}) -> 'b' ({b.id}) -> 'a' ({a.id}); "
        "a workflow may not start itself, even through others"
    )
    self_loop = refused(bench, a, trigger_step("again", a.id))
    assert self_loop.message.startswith(f"trigger cycle: 'a' ({a.id}) -> 'a' ({a.id});")
    assert workflows_of(bench).get(bench.org.id, a.id).version == 1  # nothing was saved


def test_chains_that_meet_again_without_a_cycle_are_fine(bench: Bench) -> None:
    bench.functions.register("noop", lambda ctx: None)
    noop = python_step("noop", "noop")
    d = save(bench, "d", noop)
    b = save(bench, "b", trigger_step("to_d", d.id))
    c = save(bench, "c", trigger_step("to_d", d.id))
    a = save(bench, "a", noop)
    changed = change(bench, a, trigger_step("to_b", b.id), trigger_step("to_c", c.id))
    assert changed.version == 2


def test_a_trigger_target_must_be_a_workflow_of_the_same_organization(bench: Bench) -> None:
    other = bench.store.create_organization(
        name="globex", max_schedules=10, max_concurrent_runs=5, now=bench.clock.now()
    )
    theirs = bench.store.add_workflow(
        org_id=other.id,
        name="theirs",
        definition=domain.parse_definition({"steps": [{"name": "x", "kind": "python"}]}),
        now=bench.clock.now(),
    )
    for target in (theirs.id, 999):
        with pytest.raises(errors.InvalidInput) as raised:
            save(bench, "sender", trigger_step("go", target))
        assert raised.value.field == "definition.steps[0].config"
        assert raised.value.message == f"workflow_id: no workflow {target} in this organization"


def test_the_trigger_step_receives_the_runs_organization(bench: Bench) -> None:
    seen: list[object] = []

    def org_of(ctx: StepContext) -> None:
        seen.append(ctx.org_id)

    bench.functions.register("org_of", org_of)
    bench.executor.execute(bench.claim(bench.run([python_step("o", "org_of")])))
    assert seen == [bench.org.id]
