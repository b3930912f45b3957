"""Settings from the environment: defaults, durations in three spellings, one-line errors."""

from __future__ import annotations

import difflib
import os
import subprocess
from datetime import timedelta

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright import domain, settings
from cronwright.settings import Settings
from tests.component.cli.conftest import command as cli_command


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
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
    monkeypatch.setenv("CRONWRIGHT_HEAP_SETTLE_INTERVAL", "off")
    chosen = Settings()
    assert (chosen.retention_max_age, chosen.global_max_concurrent_runs) == (None, None)
    assert chosen.heap_settle_interval is None
    monkeypatch.setenv("CRONWRIGHT_HEAP_SETTLE_INTERVAL", "90s")
    assert Settings().heap_settle_interval == timedelta(seconds=90)


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


# -- misspelt variables ---------------------------------------------------------------------------


def test_a_misspelt_variable_is_named_with_the_closest_setting() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRONWRIGHT_")},
        "CRONWRIGHT_WORKER_CONCURENCY": "8",
        "CRONWRIGHT_DATABASE_PASSWORD": "a secret of a tool, not a setting",
        "CRONWRIGHT_REQUIRE_POSTGRES": "1",
    }
    done = subprocess.run(
        [*cli_command(), "config"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stderr == (
        "warning: CRONWRIGHT_WORKER_CONCURENCY is not a setting; "
        "did you mean CRONWRIGHT_WORKER_CONCURRENCY?\n"
    )
    assert "CRONWRIGHT_WORKER_CONCURRENCY=5\n" in done.stdout  # the typo changed nothing


@given(
    field=st.sampled_from(sorted(settings.Settings.model_fields)),
    data=st.data(),
)
def test_one_letter_dropped_from_a_setting_is_recognised(field: str, data: st.DataObject) -> None:
    name = settings.env_name(field)
    suffix = name.removeprefix(settings.ENV_PREFIX)
    if len(suffix) < 5:  # too short to tell a typo from another word
        return
    at = data.draw(st.integers(0, len(suffix) - 1))
    typo = settings.ENV_PREFIX + suffix[:at] + suffix[at + 1 :]
    if typo.upper() in {settings.env_name(f) for f in settings.Settings.model_fields}:
        return
    warnings = settings.misspelt_variables({typo: "1"})
    assert len(warnings) == 1
    suggested = warnings[0].rsplit(" ", 1)[1].rstrip("?")
    # The suggestion is the setting, or one as close (DATABASE_URL/..., PORT/SMTP_PORT).
    assert (
        suggested == name
        or difflib.SequenceMatcher(None, typo, suggested).ratio()
        >= difflib.SequenceMatcher(None, typo, name).ratio()
    )


def test_known_and_foreign_variables_are_not_warned_about() -> None:
    environ = {settings.env_name(field): "" for field in settings.Settings.model_fields}
    environ |= dict.fromkeys(settings.OTHER_VARIABLES, "1")
    environ |= {"CRONWRIGHT_DATABASE_PASSWORD": "x", "PATH": "/bin", "cronwright_port": "1"}
    assert settings.misspelt_variables(environ) == []
