"""The admin commands through a server's API (``--api``) answer as they do on the database.

Each test seeds one database, copies it, and serves the copy over real HTTP on 127.0.0.1 with the
same clock; the same commands then run on the original (``--url``) and through the server
(``--api``), and their outputs must match but for the audit trail's author.
"""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from cronwright import domain
from cronwright.cli import app
from cronwright.cli.admin import connect
from cronwright.testing.postgres import free_port
from tests.support.served import NO_TARGET, Served, same_shape

runner = CliRunner()
WINDOW = ["--since", "2026-11-20T00:00Z", "--until", "2026-11-23T00:00Z"]


PARITY = [
    ["schedules", "list", "--json"],
    ["schedules", "list"],
    ["schedules", "show", "nightly", "-n", "3", "--json"],
    ["schedules", "show", "nightly"],
    ["schedules", "pause", "nightly"],
    ["schedules", "pause", "nightly", "--json"],
    ["schedules", "resume", "1"],
    ["schedules", "show", "1", "--json"],
    ["schedules", "trigger", "nightly", "--input", '{"n": 1}', "--json"],
    ["schedules", "trigger", "nightly"],
    ["schedules", "backfill", "nightly", *WINDOW, "--dry-run", "--json"],
    ["schedules", "backfill", "nightly", *WINDOW],
    ["runs", "list", "--json"],
    ["runs", "list", "--schedule", "nightly", "--state", "pending", "--limit", "2"],
    ["runs", "show", "1", "--json"],
    ["runs", "show", "1"],
    ["runs", "cancel", "1", "--json"],
    ["runs", "cancel", "1"],  # already ended: a conflict
    ["runs", "retry", "1"],
    ["runs", "show", "99"],
    ["apikey", "list", "--json"],
    ["apikey", "list"],
    ["templates", "list", "--json"],
    ["templates", "show", "http-health-check"],
    ["templates", "use", "http-health-check", "--name", "site", "-p", "url=https://a.example"],
    ["templates", "use", "http-health-check", "--name", "ping", "-p", "url=https://b.example"],
    ["templates", "show", "http-health-check", "--json"],
    ["templates", "use", "hourly-sync", "--name", "x", "-p", "sync_url=https://s", "--dry-run"],
    [
        "templates",
        "use",
        "hourly-sync",
        "--name",
        "x",
        "-p",
        "sync_url=https://s.example",
        "--dry-run",
        "--json",
    ],
    ["templates", "use", "hourly-sync", "--name", "x", "-p", "minutes=99", "--dry-run"],
    ["schedules", "show", "site", "--json"],
    ["schedules", "show", "nope"],
    ["schedules", "show", "99"],
]


def test_the_same_commands_answer_the_same_on_the_database_and_through_the_api(
    served: Served,
) -> None:
    for args in PARITY:
        args = [*args, "--org", "acme"]
        direct, remote = served.on_database(*args), served.on_server(*args)
        assert remote.exit_code == direct.exit_code, (args, direct.output, remote.output)
        if "--json" in args and direct.exit_code == 0:
            assert json.loads(same_shape(remote.stdout, served.prefix)) == json.loads(
                same_shape(direct.stdout, served.prefix)
            ), args
        assert same_shape(remote.output, served.prefix) == same_shape(
            direct.output, served.prefix
        ), args


def test_through_the_api_the_organization_is_the_keys(served: Served) -> None:
    listed = served.on_server("schedules", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [s["name"] for s in json.loads(listed.stdout)["items"]] == ["nightly"]
    assert served.on_server("schedules", "list", "--org", "1").exit_code == 0  # its id
    other = served.on_server("schedules", "list", "--org", "other")
    assert (other.exit_code, other.output) == (
        2,
        "error: --org 'other': the API key acts for organization 'acme' (id 1); drop --org, "
        "or use a key of 'other'\n",
    )
    direct = served.on_database("schedules", "list")
    assert (direct.exit_code, direct.output) == (
        2,
        "error: --org is required on the database (through --api the key's organization is used)\n",
    )


def test_lists_longer_than_a_page_are_read_page_by_page(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("sync-eu", "sync-us", "sync"):
        made = served.on_server(
            "templates", "use", "hourly-sync", "--name", name, "-p", "sync_url=https://s.example"
        )
        assert made.exit_code == 0, made.output

    def every_page(target: str) -> list[str]:
        names: list[str] = []
        cursor: list[str] = []
        while True:
            args = ("schedules", "list", "--limit", "1", *cursor, "--json")
            done = (
                served.on_server(*args)
                if target == "api"
                else served.on_database(*args, "--org", "acme")
            )
            page = json.loads(done.stdout)
            names += [item["name"] for item in page["items"]]
            if page["next_cursor"] is None:
                return names
            cursor = ["--cursor", page["next_cursor"]]

    assert every_page("api") == ["nightly", "sync-eu", "sync-us", "sync"]
    # A name is looked for on every page ("sync" is in "sync-eu" and "sync-us").
    monkeypatch.setattr(domain, "MAX_PAGE_SIZE", 1)
    paused = served.on_server("schedules", "pause", "sync")
    assert (paused.exit_code, paused.output) == (0, 'schedule "sync" paused\n')


# -- choosing the target ---------------------------------------------------------------------------


def test_the_variables_choose_the_server_and_the_key(served: Served) -> None:
    env = {
        "CRONWRIGHT_API_URL": served.api_url,
        "CRONWRIGHT_API_KEY": served.tokens["viewer"],
        "CRONWRIGHT_DATABASE_URL": "sqlite:////nonexistent/cw.db",  # the API variable wins
    }
    done = runner.invoke(app, ["schedules", "list", "--json"], env=env)
    assert done.exit_code == 0, done.output
    # --api-key on the command line wins over the variable.
    flagged = runner.invoke(
        app, ["--api-key", "cw_wrong", "schedules", "list"], env=env, catch_exceptions=False
    )
    assert flagged.exit_code == 1
    assert flagged.output.startswith("error: invalid API key (401)")


def test_url_on_the_command_line_wins_over_the_api_variable(served: Served) -> None:
    env = {**NO_TARGET, "CRONWRIGHT_API_URL": "http://127.0.0.1:1"}
    done = runner.invoke(
        app, ["schedules", "list", "--org", "acme", "--url", served.database_url], env=env
    )
    assert done.exit_code == 0, done.output
    both = runner.invoke(
        app,
        ["--api", served.api_url, "schedules", "list", "--url", served.database_url],
        env={**NO_TARGET, "CRONWRIGHT_API_KEY": served.tokens["admin"]},
    )
    assert (both.exit_code, both.output) == (2, "error: give --api or --url, not both\n")


def test_a_missing_key_is_asked_for_by_name(served: Served) -> None:
    done = runner.invoke(app, ["--api", served.api_url, "schedules", "list"], env=NO_TARGET)
    assert (done.exit_code, done.output) == (
        2,
        "error: no API key for --api: set CRONWRIGHT_API_KEY (or give --api-key)\n",
    )


@pytest.mark.parametrize("which", ["unknown", "revoked"])
def test_a_refused_key_is_one_line_that_never_shows_the_key(served: Served, which: str) -> None:
    token = served.tokens["revoked"] if which == "revoked" else "cw_0123456789ab_notarealsecret"
    env = {**NO_TARGET, "CRONWRIGHT_API_KEY": token}
    for debug in ([], ["--debug"]):
        done = runner.invoke(app, [*debug, "--api", served.api_url, "runs", "list"], env=env)
        assert done.exit_code == 1
        assert done.output.splitlines()[-1] == (
            "error: invalid API key (401): check CRONWRIGHT_API_KEY (or --api-key)"
        )
        assert token not in done.output
        assert token.split("_", 2)[2] not in done.output


def test_a_role_too_low_is_named(served: Served) -> None:
    done = served.on_server("schedules", "pause", "nightly", role="viewer")
    assert (done.exit_code, done.output) == (
        1,
        "error: this needs the editor role; the API key has the viewer role\n",
    )


def test_an_unreachable_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {**NO_TARGET, "CRONWRIGHT_API_KEY": "cw_x"}
    done = runner.invoke(app, ["--api", url, "schedules", "list"], env=env)
    assert done.exit_code == 1
    assert done.output.startswith(f"error: cannot connect to {url} (")
    assert done.output.endswith(
        "): is the server running, and is --api (or CRONWRIGHT_API_URL) its address?\n"
    )


def test_a_server_that_does_not_answer_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connect, "TIMEOUT_SECONDS", 0.3)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {**NO_TARGET, "CRONWRIGHT_API_KEY": "cw_x"}
        done = runner.invoke(app, ["--api", url, "runs", "list"], env=env)
    assert (done.exit_code, done.output) == (1, f"error: {url} did not answer within 0.3 s\n")


@pytest.mark.parametrize("url", ["localhost:8080", "ftp://example.org", "http://"])
def test_an_api_url_that_cannot_work_is_invalid_input(url: str) -> None:
    env = {**NO_TARGET, "CRONWRIGHT_API_KEY": "cw_x"}
    done = runner.invoke(app, ["--api", url, "runs", "list"], env=env)
    assert (done.exit_code, done.output) == (
        2,
        f"error: API URL {url!r} (--api or CRONWRIGHT_API_URL) is not an http:// or https:// "
        "address\n",
    )


def test_input_the_server_refuses_names_the_field(served: Served) -> None:
    backwards = ["--since", "2026-11-23T00:00Z", "--until", "2026-11-20T00:00Z"]
    for target in (served.on_server, served.on_database):
        done = target("schedules", "backfill", "nightly", *backwards, "--org", "acme")
        assert (done.exit_code, done.output) == (2, "error: until: must be after since\n")
    # Refused by the client before sending, as the server would: also the field, exit 2.
    long_name = served.on_server("apikey", "create", "--name", "k" * 201, "--role", "viewer")
    assert (long_name.exit_code, long_name.output) == (
        2,
        "error: name: string should have at most 200 characters\n",
    )


def test_apikey_create_through_the_api_prints_the_token_once(served: Served) -> None:
    done = served.on_server("apikey", "create", "--name", "ci", "--role", "editor", "--json")
    assert done.exit_code == 0, done.output
    issued = json.loads(done.stdout)
    assert (issued["name"], issued["role"], issued["token"][:3]) == ("ci", "editor", "cw_")
    listed = json.loads(served.on_server("apikey", "list", "--json").stdout)
    assert "ci" in [key["name"] for key in listed]
    assert all("token" not in key for key in listed)
    revoked = served.on_server("apikey", "revoke", str(issued["id"]))
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.startswith(f'revoked key "ci" (id {issued["id"]}) at ')


# -- what only the database can do -----------------------------------------------------------------

DATABASE_ONLY = [
    (["org", "create", "beta"], "org create"),
    (["org", "list"], "org list"),
    (
        ["org", "quotas", "--org", "acme", "--max-schedules", "1", "--max-concurrent-runs", "1"],
        "org quotas",
    ),
    (["status"], "status"),
    (["db", "upgrade"], "db"),
    (["serve"], "serve"),
    (["worker"], "worker"),
]


@pytest.mark.parametrize(("args", "name"), DATABASE_ONLY, ids=lambda a: " ".join(a))
def test_what_only_the_database_can_do_refuses_api_in_one_line(
    served: Served, args: list[str], name: str
) -> None:
    done = served.on_server(*args)
    assert (done.exit_code, done.output) == (
        2,
        f"error: `{name}` works on the database only; drop --api (and CRONWRIGHT_API_URL), or "
        "give --url, on a host that reaches the database\n",
    )


def test_help_names_the_variables_and_never_shows_the_key() -> None:
    env = {**NO_TARGET, "CRONWRIGHT_API_KEY": "cw_0123456789ab_secret"}
    shown = runner.invoke(app, ["--help"], env={**env, "COLUMNS": "200"}, terminal_width=200)
    assert shown.exit_code == 0
    assert "--api" in shown.output
    assert "CRONWRIGHT_API_URL" in shown.output
    assert "CRONWRIGHT_API_KEY" in shown.output
    assert "secret" not in shown.output


def test_templates_use_dry_run_through_the_api_renders_here_and_writes_nothing(
    served: Served,
) -> None:
    args = ["templates", "use", "hourly-sync", "--name", "x", "-p", "sync_url=https://s.example"]
    done = served.on_server(*args, "--dry-run", "--json")
    assert done.exit_code == 0, done.output
    rendered = json.loads(done.stdout)
    assert rendered["workflow"]["steps"][0]["config"]["url"] == "https://s.example"
    listed = json.loads(served.on_server("schedules", "list", "--json").stdout)
    assert [s["name"] for s in listed["items"]] == ["nightly"]
    refused = served.on_server(*args[:-2], "-p", "sync_url=not a url", "--dry-run")
    assert refused.exit_code == 2
    assert refused.output.startswith("error: parameters.sync_url: ")
