"""The ``shell`` action with real subprocesses, run by the executor."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.component.engine.conftest import Bench

from cronwright import actions, domain, errors
from cronwright.actions import caps, shell
from cronwright.clock import SystemClock
from cronwright.engine.executor import Executor

State = domain.RunState
PY = sys.executable


def shell_step(name: str, *argv: str, **config: Any) -> dict[str, Any]:
    return {"name": name, "kind": "shell", "config": {"argv": list(argv), **config}}


def recorded(bench: Bench, run: domain.Run) -> domain.RunStep:
    [step] = bench.steps(run)
    return step


def test_a_program_runs_with_its_arguments_and_its_output_is_recorded(bench: Bench) -> None:
    run = bench.run(
        [shell_step("hello", PY, "-c", "import sys; print('hi', sys.argv[1:])", "a b", "$HOME")]
    )
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert outcome.state is State.SUCCEEDED
    # One argv item stays one argument, and nothing is expanded: there is no shell.
    assert recorded(bench, run).output == {
        "exit_code": 0,
        "stdout": "hi ['a b', '$HOME']\n",
        "stderr": "",
    }


def test_a_non_zero_exit_fails_the_step_with_its_stderr(bench: Bench) -> None:
    code = "import sys; sys.stderr.write('disk full'); sys.exit(3)"
    run = bench.run([shell_step("fail", PY, "-c", code)])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome == domain.RunOutcome.failed(f"step 'fail': {PY!r} exited with 3: disk full")


def test_the_program_runs_in_its_directory_with_a_minimal_environment(
    bench: Bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRONWRIGHT_DATABASE_PASSWORD", "hunter2")  # the worker's own secret
    code = "import os, json; print(json.dumps([os.getcwd(), dict(os.environ)]))"
    run = bench.run([shell_step("env", PY, "-c", code, cwd=str(tmp_path), env={"REGION": "eu"})])
    bench.executor.execute(bench.claim(run))
    output = recorded(bench, run).output
    assert isinstance(output, dict)
    cwd, env = json.loads(str(output["stdout"]))
    assert cwd == str(tmp_path)
    assert "CRONWRIGHT_DATABASE_PASSWORD" not in env
    assert env["REGION"] == "eu"
    assert env["PATH"] == shell.MINIMAL_ENV["PATH"]


def test_a_missing_program_fails_the_step_clearly(bench: Bench) -> None:
    run = bench.run([shell_step("nope", "/no/such/program")])
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    assert (
        outcome.error
        == "step 'nope': could not start '/no/such/program': No such file or directory"
    )


def test_long_output_is_cut_with_a_marker(bench: Bench) -> None:
    size = caps.MAX_TEXT_BYTES * 4
    run = bench.run([shell_step("loud", PY, "-c", f"print('y' * {size}, end='')")])
    bench.executor.execute(bench.claim(run))
    output = recorded(bench, run).output
    assert isinstance(output, dict)
    assert output["stdout"] == "y" * caps.MAX_TEXT_BYTES + f"…[truncated: {size} bytes in all]"


def pid_file_step(name: str, pid_file: Path, **config: Any) -> dict[str, Any]:
    # sh writes its pid, then becomes sleep (exec keeps the pid).
    return shell_step(name, "sh", "-c", f"echo $$ > {pid_file}; exec sleep 30", **config)


def wait_for_pid(pid_file: Path) -> int:
    ready = threading.Event()
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        ready.wait(0.05)
    raise AssertionError("the program never started")


def is_gone(pid: int) -> bool:
    """Whether ``pid`` has ended (waits a bounded while for the kill to land)."""
    pause = threading.Event()
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        pause.wait(0.05)
    return False


def test_a_program_past_its_timeout_is_killed(bench: Bench, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    run = bench.run([pid_file_step("sleepy", pid_file, timeout=0.5)])
    outcome = Executor(bench.registry, SystemClock(), bench.queue).execute(bench.claim(run))
    assert outcome == domain.RunOutcome.failed("step 'sleepy': 'sh' did not end in 0.5 s; killed")
    assert is_gone(wait_for_pid(pid_file))


def test_cancelling_a_run_mid_step_kills_the_program(bench: Bench, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    interrupt = threading.Event()
    run = bench.run([pid_file_step("sleepy", pid_file)])
    executor = Executor(bench.registry, SystemClock(), bench.queue)
    result: list[domain.RunOutcome | None] = []
    claimed = bench.claim(run)
    running = threading.Thread(
        target=lambda: result.append(executor.execute(claimed, interrupt=interrupt))
    )
    running.start()
    pid = wait_for_pid(pid_file)
    interrupt.set()
    running.join(10)
    assert result == [None]
    assert [(s.name, s.state) for s in bench.steps(run)] == [("sleepy", State.CANCELLED)]
    assert is_gone(pid)


def test_shell_is_refused_on_save_and_at_run_time_unless_the_operator_allows_it(
    bench: Bench,
) -> None:
    registry = actions.default_registry(actions.PythonFunctions())
    actions.install_default_actions(registry, allow_shell=False, trigger_port=None)
    with pytest.raises(
        ValueError, match=r"^shell steps are disabled by the operator \(CRONWRIGHT_SHELL_ACTIONS\)$"
    ):
        registry.check_config("shell", {"argv": ["ls"]})
    step = domain.Step(name="ls", kind="shell", config={"argv": ["ls"]})
    with pytest.raises(errors.InvalidInput, match="shell steps are disabled by the operator"):
        registry.build(step)  # a step saved while shell was allowed cannot run now
