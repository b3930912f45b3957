"""``cronwright apply`` and the operator's ``CRONWRIGHT_RETRY_*`` settings: an entry without retry
fields gets them, fields in the file win, and a bad setting is one line and exit status 2."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronwright import service, settings
from cronwright.clock import SystemClock
from cronwright.store.catalog import sql_catalog
from tests.component.apply.test_apply import FILE, write
from tests.component.store.populate import dump

runner = CliRunner()
OPERATOR = {
    "CRONWRIGHT_RETRY_MAX_ATTEMPTS": "7",
    "CRONWRIGHT_RETRY_BACKOFF_INITIAL": "30s",
    "CRONWRIGHT_RETRY_BACKOFF_FACTOR": "3",
    "CRONWRIGHT_RETRY_BACKOFF_MAX": "1h",
}
OPERATORS = (7, timedelta(seconds=30), 3.0, timedelta(hours=1))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)


def apply(url: str, path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    from cronwright.cli import app

    result = runner.invoke(app, ["apply", str(path), "--url", url, *args], env=env)
    return result.exit_code, result.stdout + result.stderr


def retry_policies(url: str) -> dict[str, tuple[object, ...]]:
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        svc = service.Service.build(store, SystemClock())
        [org] = store.list_organizations()
        return {
            s.spec.name: (
                s.spec.max_attempts,
                s.spec.backoff_initial,
                s.spec.backoff_factor,
                s.spec.backoff_max,
            )
            for s in svc.schedules.list(org.id).items
        }
    finally:
        store.close()


def test_entries_without_retry_fields_get_the_operators_defaults(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = write(tmp_path, FILE)
    code, out = apply(sqlite_url, path, OPERATOR)
    assert code == 0, out
    assert retry_policies(sqlite_url) == {
        "nightly": OPERATORS,
        "hourly": OPERATORS,
        "sweep": (5, *OPERATORS[1:]),  # the file says max_attempts: 5
    }
    code, out = apply(sqlite_url, path, OPERATOR)  # the same file and settings: nothing to do
    assert (code, out) == (0, 'organization "acme" already matches the file\n')


def test_the_file_is_the_whole_truth_so_a_new_default_shows_in_the_next_plan(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = write(tmp_path, FILE)
    assert apply(sqlite_url, path, {})[0] == 0  # the built-in defaults
    code, out = apply(sqlite_url, path, {"CRONWRIGHT_RETRY_MAX_ATTEMPTS": "4"}, "--dry-run")
    assert code == 0, out
    assert out.splitlines() == [
        '~ schedule "nightly": max_attempts 3 -> 4',
        '~ schedule "hourly": max_attempts 3 -> 4',
        "dry run: 2 change(s) not applied",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("RETRY_MAX_ATTEMPTS", "0", "CRONWRIGHT_RETRY_MAX_ATTEMPTS: must be at least 1, got '0'"),
        (
            "RETRY_BACKOFF_MAX",
            "1s",
            "CRONWRIGHT_RETRY_BACKOFF_MAX: must be at least CRONWRIGHT_RETRY_BACKOFF_INITIAL (5s),"
            " got '1s'",
        ),
    ],
)
def test_a_bad_retry_setting_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, sqlite_url: str, variable: str, value: str, line: str
) -> None:
    path = write(tmp_path, FILE)
    before = dump(sqlite_url)
    code, out = apply(sqlite_url, path, {f"CRONWRIGHT_{variable}": value})
    assert (code, out) == (2, f"cronwright: {line}\n")
    assert dump(sqlite_url) == before
