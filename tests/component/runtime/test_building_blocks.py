"""The runtime's parts, in process: log formats, metrics from statistics, python modules, the
schema check and which parts each role builds."""

from __future__ import annotations

import io
import json
import logging
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cronwright import actions, domain
from cronwright import settings as settings_module
from cronwright.bootstrap import errors as startup
from cronwright.bootstrap import logs, metrics, root, runtime
from cronwright.clock import FakeClock
from cronwright.engine import scheduler

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def emit(form: settings_module.LogFormat) -> str:
    stream = io.StringIO()
    logs.configure(settings_module.LogLevel.INFO, form, stream=stream)
    logging.getLogger("cronwright.engine.worker").info(
        "run %s finished: %s", 7, "succeeded", extra={"run_id": 7, "state": "succeeded"}
    )
    logging.getLogger("alembic.runtime.migration").info("Running upgrade")  # too chatty: dropped
    return stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_json_logs_are_one_object_per_line_with_the_record_fields() -> None:
    [line] = emit(settings_module.LogFormat.JSON).splitlines()
    record = json.loads(line)
    assert record["message"] == "run 7 finished: succeeded"
    assert (record["level"], record["logger"]) == ("INFO", "cronwright.engine.worker")
    assert (record["run_id"], record["state"]) == (7, "succeeded")
    assert datetime.fromisoformat(record["ts"]).tzinfo is not None


@pytest.mark.usefixtures("restore_logging")
def test_console_logs_put_the_fields_after_the_message() -> None:
    [line] = emit(settings_module.LogFormat.CONSOLE).splitlines()
    assert line.endswith(
        "INFO    cronwright.engine.worker: run 7 finished: succeeded  run_id=7 state=succeeded"
    )


def scheduler_stats(ticks: int, durations_ms: list[int]) -> scheduler.SchedulerStats:
    return scheduler.SchedulerStats(
        ticks=ticks,
        failed_ticks=0,
        runs_materialized={},
        existing_slots=0,
        unplannable=0,
        last_tick_at=T0,
        last_tick_duration=None,
        tick_durations=tuple(timedelta(milliseconds=ms) for ms in durations_ms),
    )


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_metrics_copy_the_cluster_counts_and_take_each_tick_once_at_scrape() -> None:
    registry = CollectorRegistry()
    engine_metrics = metrics.EngineMetrics(registry)
    counts = domain.QueueSnapshot(
        runs_by_state={domain.RunState.SUCCEEDED: 5, domain.RunState.PENDING: 2},
        queue_depth=2,
        active_runs=1,
    )
    engine_metrics.refresh(counts)
    latest = [scheduler_stats(2, [3, 4])]
    engine_metrics.watch_scheduler(lambda: latest[-1])
    assert sample(registry, "cronwright_scheduler_tick_duration_seconds_count") == 2
    assert sample(registry, "cronwright_scheduler_tick_duration_seconds_count") == 2  # no new
    latest.append(scheduler_stats(3, [3, 4, 900]))
    assert sample(registry, "cronwright_runs", state="succeeded") == 5
    assert sample(registry, "cronwright_runs", state="failed") == 0
    assert sample(registry, "cronwright_queue_depth") == 2
    assert sample(registry, "cronwright_active_runs") == 1
    assert sample(registry, "cronwright_scheduler_tick_duration_seconds_count") == 3
    assert sample(registry, "cronwright_scheduler_tick_duration_seconds_bucket", le="0.5") == 2


def test_metrics_hear_each_attempt_from_the_worker() -> None:
    registry = CollectorRegistry()
    engine_metrics = metrics.EngineMetrics(registry)
    run = types.SimpleNamespace()  # the listener reads nothing from the run
    engine_metrics.run_started(run, timedelta(seconds=0.2))  # type: ignore[arg-type]
    engine_metrics.run_finished(run, domain.RunState.FAILED, timedelta(seconds=2))  # type: ignore[arg-type]
    assert sample(registry, "cronwright_dispatch_lag_seconds_bucket", le="0.25") == 1
    assert sample(registry, "cronwright_runs_finished_total", state="failed") == 1
    assert sample(registry, "cronwright_run_duration_seconds_sum", state="failed") == 2


def test_python_modules_register_their_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("acme_jobs")
    module.register = lambda functions: functions.register("acme.ping", lambda ctx: "pong")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_jobs", module)
    functions = actions.PythonFunctions()
    runtime.load_python_modules(["acme_jobs", "cronwright.examples.demo"], functions)
    assert {"acme.ping", "demo.greet", "demo.sleep"} <= functions.names()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no_such_module_here", "CRONWRIGHT_PYTHON_MODULES: cannot import 'no_such_module_here'"),
        ("json", "CRONWRIGHT_PYTHON_MODULES: 'json' has no register(functions)"),
    ],
)
def test_a_python_module_that_cannot_register_is_a_setting_error(name: str, message: str) -> None:
    with pytest.raises(startup.ConfigError) as caught:
        runtime.load_python_modules([name], actions.PythonFunctions())
    assert str(caught.value).startswith(message)


def test_cluster_roles_refuse_an_old_schema(tmp_path: Path) -> None:
    with pytest.raises(startup.StartupError, match=r"run `cronwright db upgrade` first"):
        runtime.check_schema(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.parametrize(
    ("role", "parts"),
    [
        (runtime.Role.SCHEDULER, {"scheduler", "alerter"}),
        (runtime.Role.WORKER, {"worker", "reaper"}),
    ],
)
def test_each_role_builds_only_its_parts(
    database_url: str, role: runtime.Role, parts: set[str]
) -> None:
    chosen = settings_module.Settings(database_url=database_url)
    built = runtime.Runtime.build(chosen, role)
    try:
        present = {
            name
            for name in ("scheduler", "worker", "reaper", "alerter")
            if getattr(built.node, name) is not None
        }
        assert present == parts
        assert built.api is None
        assert {"python", "http", "shell", "trigger"} <= built.registry.kinds
    finally:
        built.store.close()


def test_serving_roles_need_the_api(database_url: str) -> None:
    chosen = settings_module.Settings(database_url=database_url)
    with pytest.raises(ValueError, match="needs an api_factory"):
        runtime.Runtime.build(chosen, runtime.Role.API)


def test_the_api_creates_schedules_with_the_retry_settings(database_url: str) -> None:
    from cronwright.cli import serve

    chosen = settings_module.Settings(
        database_url=database_url, retry_max_attempts=7, retry_backoff_initial=timedelta(seconds=30)
    )
    process = root.Root.open(database_url, clock=FakeClock(T0))
    built = serve.api_app(chosen, process)
    try:
        schedules = built.asgi.state.container.service.schedules
        assert schedules.retry_defaults == chosen.retry_defaults
        assert schedules.retry_defaults.max_attempts == 7
    finally:
        built.close()
        process.close()
