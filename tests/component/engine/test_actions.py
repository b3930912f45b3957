from __future__ import annotations

import pytest
from tests.component.engine.conftest import Bench

from cronwright import actions, domain, errors, service


def test_a_python_step_config_is_validated_with_a_clear_message() -> None:
    registry = actions.default_registry(actions.PythonFunctions())
    with pytest.raises(ValueError, match=r"^function: Field required$"):
        registry.check_config("python", {})
    with pytest.raises(ValueError, match=r"^module: Extra inputs are not permitted$"):
        registry.check_config("python", {"function": "f", "module": "os"})
    with pytest.raises(ValueError, match="not installed here"):
        registry.check_config("shell", {"argv": ["ls"]})


def test_saving_a_workflow_with_a_bad_config_names_the_step_field(bench: Bench) -> None:
    workflows = service.Service.build(
        bench.store, bench.clock, check_config=bench.registry.check_config
    ).workflows
    bad = {"steps": [{"name": "a", "kind": "python", "config": {"function": "no spaces"}}]}
    with pytest.raises(errors.InvalidInput) as raised:
        workflows.create(bench.org.id, name="w", definition=bad)
    assert raised.value.field == "definition.steps[0].config"
    assert raised.value.message.startswith("function: String should match pattern")


def test_building_an_unknown_kind_names_the_step() -> None:
    registry = actions.default_registry(actions.PythonFunctions())
    step = domain.Step(name="notify", kind="http", config={})
    with pytest.raises(actions.UnknownActionKind, match="step 'notify': unknown action kind"):
        registry.build(step)


def test_a_function_name_is_registered_once() -> None:
    functions = actions.PythonFunctions()
    functions.register("f", print)
    functions.register("f", print)  # the same function again is fine (module reloads)
    with pytest.raises(ValueError, match="different python function"):
        functions.register("f", repr)


def test_new_kinds_plug_into_the_registry() -> None:
    import pydantic

    class EchoConfig(pydantic.BaseModel):
        text: str

    class Echo:
        def __init__(self, config: EchoConfig) -> None:
            self.config = config

        def run(self, ctx: actions.StepContext) -> actions.StepOutcome:
            return actions.StepOutcome.success(self.config.text)

    registry = actions.ActionRegistry()
    registry.register("echo", EchoConfig, Echo)
    action = registry.build(domain.Step(name="e", kind="echo", config={"text": "hi"}))
    assert isinstance(action, Echo)
    assert registry.kinds == frozenset({"echo"})
