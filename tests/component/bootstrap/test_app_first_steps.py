"""What a first script with ``App`` needs: durations spelt as in the settings, quotas it can set,
runs it can see in its output, and a second Ctrl-C that ends it at once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.system.e2e.processes import wait_until

from cronwright import App, errors
from cronwright.clock import FakeClock


@pytest.fixture
def app(tmp_path: Path, t0: datetime) -> Iterator[App]:
    built = App(f"sqlite:///{tmp_path / 'app.db'}", clock=FakeClock(t0), quiet=True)
    yield built
    built.close()


@pytest.mark.parametrize(
    ("spelt", "meant"),
    [
        ("1s", timedelta(seconds=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("PT45S", timedelta(seconds=45)),
        ("0.5", timedelta(seconds=0.5)),
        (2, timedelta(seconds=2)),
    ],
)
def test_durations_are_read_as_the_settings_read_them(
    app: App, spelt: str | int, meant: timedelta
) -> None:
    made = app.schedule("s", "0 2 * * *", action="a", timeout=spelt, misfire_grace=spelt)
    assert (made.spec.timeout, made.spec.misfire_grace) == (meant, meant)


def test_backoff_initial_as_text(app: App) -> None:
    made = app.schedule("s", "0 2 * * *", action="a", backoff_initial="1s", backoff_max="1m")
    assert (made.spec.backoff_initial, made.spec.backoff_max) == (
        timedelta(seconds=1),
        timedelta(minutes=1),
    )


def test_a_word_that_is_no_duration_is_refused_by_name(app: App) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        app.schedule("s", "0 2 * * *", action="a", timeout="soon")
    assert str(caught.value) == (
        "timeout: 'soon' is not a duration; write seconds, 30s, 5m, 1h30m, a timedelta or "
        "ISO-8601 like PT30S"
    )


def test_the_app_sets_its_organizations_quotas(tmp_path: Path, t0: datetime) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    app = App(url, clock=FakeClock(t0), quiet=True, max_schedules=2)
    try:
        app.schedule("one", "0 1 * * *", action="a")
        app.schedule("two", "0 2 * * *", action="a")
        with pytest.raises(errors.QuotaExceeded) as caught:
            app.schedule("three", "0 3 * * *", action="a")
        assert str(caught.value) == (
            "the organization's max_schedules quota of 2 is reached; the operator sets quotas "
            "with `cronwright org quotas --org default`, or App(max_schedules=...) in a script"
        )
    finally:
        app.close()
    again = App(url, clock=FakeClock(t0), quiet=True, max_schedules=3)
    try:
        assert again.schedule("three", "0 3 * * *", action="a").spec.name == "three"
        assert (again.organization.max_schedules, again.organization.max_concurrent_runs) == (
            3,
            app.organization.max_concurrent_runs,  # the quota not given is kept
        )
    finally:
        again.close()


# -- as a script --------------------------------------------------------------------------------

SCRIPT = """
import logging
import threading
from cronwright import App
{prelude}

app = App("sqlite:///{db}", shutdown_grace=60, {options})
hold = threading.Event()

@app.action("fail")
def fail(ctx):
    raise ValueError("the report server said no")

@app.action("hold")
def hold_on(ctx):
    hold.wait()  # until the process ends

app.schedule("{name}", "* * * * * *", action="{action}", max_attempts=2, backoff_initial="1s")
app.run()
"""


def script(
    tmp_path: Path, *, name: str, action: str, options: str = "", prelude: str = ""
) -> subprocess.Popen[str]:
    path = tmp_path / "script.py"
    path.write_text(
        textwrap.dedent(SCRIPT).format(
            db=tmp_path / "app.db", name=name, action=action, options=options, prelude=prelude
        )
    )
    return subprocess.Popen(
        [sys.executable, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CRONWRIGHT_")},
    )


def read_until(process: subprocess.Popen[str], pattern: str, seen: list[str]) -> re.Match[str]:
    """Read stderr line by line until ``pattern`` matches a line."""
    assert process.stderr is not None

    def matched() -> re.Match[str] | None:
        line = process.stderr.readline() if process.stderr else ""
        if not line:
            raise AssertionError(f"exited {process.poll()}: {''.join(seen)}")
        seen.append(line)
        return re.search(pattern, line)

    return wait_until(matched, 120, lambda: "".join(seen))


def test_a_failing_run_is_logged_with_its_error(tmp_path: Path) -> None:
    process = script(tmp_path, name="nightly report", action="fail")
    seen: list[str] = []
    try:
        started = read_until(process, r"INFO cronwright\.engine\.worker: run \d+ started", seen)
        assert started.string.rstrip().endswith(", attempt 1, lag " + started.string.split()[-1])
        failed = read_until(process, r"WARNING cronwright\.bootstrap\.app: run", seen)
        run_id = re.search(r"run (\d+)", failed.string)
        assert run_id is not None
        assert failed.string.split(": ", 1)[1].rstrip() == (
            f"run {run_id.group(1)} of 'nightly report' attempt 1 failed (will retry): "
            "step 'fail': ValueError: the report server said no"
        )
        read_until(process, rf"run {run_id.group(1)} finished: failed \(will retry\)", seen)
    finally:
        process.kill()
        process.wait(timeout=30)


def test_a_program_that_configured_logging_gets_the_levels_it_set(tmp_path: Path) -> None:
    # Root at WARNING: the failures' warnings pass, the runs' INFO lines do not.
    prelude = (
        'logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")'
    )
    process = script(tmp_path, name="nightly report", action="fail", prelude=prelude)
    seen: list[str] = []
    try:
        read_until(
            process, r"WARNING cronwright\.bootstrap\.app: run \d+ .* attempt 2 failed", seen
        )
    finally:
        process.kill()
        process.wait(timeout=30)
    assert [line for line in seen if "INFO" in line] == []
    assert len([line for line in seen if "WARNING" in line]) == 2


def test_quiet_logs_nothing(tmp_path: Path) -> None:
    process = script(tmp_path, name="nightly report", action="fail", options="quiet=True")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=4)  # long enough for several failed attempts
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0
    assert stderr == ""


def test_a_second_ctrl_c_stops_a_running_app_at_once(tmp_path: Path) -> None:
    process = script(tmp_path, name="held", action="hold")
    seen: list[str] = []
    try:
        read_until(process, r"run \d+ started", seen)
        process.send_signal(signal.SIGINT)
        read_until(process, r"received SIGINT: stopping \(SIGINT again to exit now\)", seen)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=50) == 130  # not the 60 s grace the step could have
        assert process.stderr is not None
        assert process.stderr.read().splitlines()[-1] == "received SIGINT again: exiting now"
    finally:
        process.kill()
        process.wait(timeout=30)
