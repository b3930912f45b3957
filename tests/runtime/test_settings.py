"""Settings from the environment: defaults, durations in three spellings, one-line errors."""

from __future__ import annotations

from datetime import timedelta

import pydantic
import pytest

from cronwright import domain, settings
from cronwright.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)


def error_for(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(f"CRONWRIGHT_{name}", value)
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings()
    return settings.describe_error(caught.value)


def test_every_setting_has_a_default_that_serve_can_start_with() -> None:
    defaults = Settings()
    assert defaults.database_url == "sqlite:///cronwright.db"
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8080)
    assert defaults.stats_interval == timedelta(minutes=5)
    assert defaults.shell_actions is False
    assert not defaults.is_postgres
    assert defaults.retry_defaults == domain.RetryDefaults()  # what ScheduleSpec has built in


def test_retry_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONWRIGHT_RETRY_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("CRONWRIGHT_RETRY_BACKOFF_INITIAL", "30s")
    monkeypatch.setenv("CRONWRIGHT_RETRY_BACKOFF_FACTOR", "1.5")
    monkeypatch.setenv("CRONWRIGHT_RETRY_BACKOFF_MAX", "PT1H")
    chosen = Settings()
    assert chosen.retry_defaults == domain.RetryDefaults(
        max_attempts=7,
        backoff_initial=timedelta(seconds=30),
        backoff_factor=1.5,
        backoff_max=timedelta(hours=1),
    )
    shown = chosen.masked()
    assert (shown["CRONWRIGHT_RETRY_BACKOFF_INITIAL"], shown["CRONWRIGHT_RETRY_BACKOFF_MAX"]) == (
        "30s",
        "1h",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", timedelta(seconds=30)),
        ("0.5", timedelta(milliseconds=500)),
        ("30s", timedelta(seconds=30)),
        ("1h30m", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("PT45S", timedelta(seconds=45)),
        ("P1DT2H", timedelta(days=1, hours=2)),
    ],
)
def test_durations_are_seconds_short_forms_or_iso_8601(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: timedelta
) -> None:
    monkeypatch.setenv("CRONWRIGHT_STATS_INTERVAL", text)
    assert Settings().stats_interval == expected


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"WORKER_CONCURRENCY": "0"},
            "CRONWRIGHT_WORKER_CONCURRENCY: must be at least 1, got '0'",
        ),
        (
            {"WORKER_CONCURRENCY": "many"},
            "CRONWRIGHT_WORKER_CONCURRENCY: must be a whole number, got 'many'",
        ),
        ({"PORT": "70000"}, "CRONWRIGHT_PORT: must be at most 65535, got '70000'"),
        ({"LEASE": "0"}, "CRONWRIGHT_LEASE: must be more than 0s, got '0'"),
        (
            {"LEASE": "soon"},
            "CRONWRIGHT_LEASE: must be a duration (seconds, 30s, 5m, 1h or ISO-8601 like PT30S),"
            " got 'soon'",
        ),
        (
            {"HEARTBEAT": "30s"},
            "CRONWRIGHT_HEARTBEAT: must be shorter than the lease (30s), got '30s'",
        ),
        (
            {"SHELL_ACTIONS": "perhaps"},
            "CRONWRIGHT_SHELL_ACTIONS: must be true or false, got 'perhaps'",
        ),
        ({"LOG_FORMAT": "xml"}, "CRONWRIGHT_LOG_FORMAT: must be one of console or json, got 'xml'"),
        (
            {"RETRY_MAX_ATTEMPTS": "0"},
            "CRONWRIGHT_RETRY_MAX_ATTEMPTS: must be at least 1, got '0'",
        ),
        (
            {"RETRY_MAX_ATTEMPTS": "101"},
            "CRONWRIGHT_RETRY_MAX_ATTEMPTS: must be at most 100, got '101'",
        ),
        (
            {"RETRY_BACKOFF_FACTOR": "0.5"},
            "CRONWRIGHT_RETRY_BACKOFF_FACTOR: must be at least 1, got '0.5'",
        ),
        (
            {"RETRY_BACKOFF_FACTOR": "nan"},
            "CRONWRIGHT_RETRY_BACKOFF_FACTOR: must be a finite number, got 'nan'",
        ),
        (
            {"RETRY_BACKOFF_INITIAL": "soon"},
            "CRONWRIGHT_RETRY_BACKOFF_INITIAL: must be a duration (seconds, 30s, 5m, 1h or"
            " ISO-8601 like PT30S), got 'soon'",
        ),
        (
            {"RETRY_BACKOFF_INITIAL": "20m"},  # above the default maximum of 10m
            "CRONWRIGHT_RETRY_BACKOFF_MAX: must be at least CRONWRIGHT_RETRY_BACKOFF_INITIAL"
            " (20m), got '10m'",
        ),
        (
            {"DATABASE_URL": "mysql://root:pw@db/x"},
            "CRONWRIGHT_DATABASE_URL: must be a sqlite:/// or postgresql:// URL,"
            " got 'mysql://root:***@db/x'",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    assert error_for(monkeypatch, **env) == line


def test_several_bad_values_say_how_many_more(monkeypatch: pytest.MonkeyPatch) -> None:
    line = error_for(monkeypatch, WORKER_CONCURRENCY="0", PORT="x")
    assert line.endswith("(and 1 more)")


def test_a_flag_is_named_as_the_flag() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(worker_concurrency=0)
    line = settings.describe_error(caught.value, flags={"worker_concurrency": "--concurrency"})
    assert line == "--concurrency: must be at least 1, got '0'"


def test_off_switches_optional_settings_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONWRIGHT_RETENTION_MAX_AGE", "off")
    monkeypatch.setenv("CRONWRIGHT_GLOBAL_MAX_CONCURRENT_RUNS", "")
    chosen = Settings()
    assert (chosen.retention_max_age, chosen.global_max_concurrent_runs) == (None, None)


def test_masked_hides_secrets_and_url_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONWRIGHT_DATABASE_URL", "postgresql://cron:s3cret@db/cron")
    monkeypatch.setenv("CRONWRIGHT_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("CRONWRIGHT_PYTHON_MODULES", "acme.jobs, acme.more")
    chosen = Settings()
    shown = chosen.masked()
    assert shown["CRONWRIGHT_DATABASE_URL"] == "postgresql://cron:***@db/cron"
    assert shown["CRONWRIGHT_SMTP_PASSWORD"] == "***"
    assert chosen.python_module_names == ["acme.jobs", "acme.more"]
    assert chosen.is_postgres
    assert set(shown) == {settings.env_name(name) for name in Settings.model_fields}
