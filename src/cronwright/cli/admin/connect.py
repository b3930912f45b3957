"""The admin contract through a server: a client with the key, the key's organization, and
every error of the exchange as one line and an exit status."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import typer

from cronwright import client, clock, domain
from cronwright.cli import failures
from cronwright.cli.admin import common, from_api, remote, remote_errors, server

TIMEOUT_SECONDS = 30.0  # per request; a person is waiting


@contextmanager
def connected(chosen: server.Server, org: str | None) -> Iterator[remote.RemoteAdmin]:
    """``org``: the ``--org`` given, which may only name the key's organization."""
    with session(chosen) as (api, organization):
        _check_named(organization, org)
        yield remote.RemoteAdmin(api, organization, clock=host_clock())


@contextmanager
def session(chosen: server.Server) -> Iterator[tuple[client.Client, domain.Organization]]:
    """A client with the key, and the key's organization; every error of the exchange (in
    the block too) becomes one line and an exit status."""
    url = _checked(chosen.url)
    key = chosen.key or _asked_key()
    with failures.reported():
        try:
            with client.Client(url, key, timeout=TIMEOUT_SECONDS) as api:
                yield api, from_api.organization(api.organization.get())
        except Exception as exc:
            explained = remote_errors.explain(exc, url, timeout=TIMEOUT_SECONDS)
            if explained is None:
                raise
            failures.fail(*explained)


def host_clock() -> clock.Clock:
    """This host's clock (what a test sets in ``common.make_clock``)."""
    return clock.SystemClock() if common.make_clock is None else common.make_clock()


def _checked(url: str) -> str:
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is no number
        valid = False
    if not valid:
        failures.fail(
            f"API URL {url!r} (--api or {server.API_URL_VARIABLE}) is not an http:// or https:// "
            "address",
            failures.EXIT_INVALID,
        )
    return url.rstrip("/")


def _asked_key() -> str:
    key = str(typer.prompt("API key", hide_input=True)).strip() if sys.stdin.isatty() else ""
    if not key:
        failures.fail(
            f"no API key for --api: set {server.API_KEY_VARIABLE} (or give --api-key)",
            failures.EXIT_INVALID,
        )
    return key


def _check_named(organization: domain.Organization, org: str | None) -> None:
    if org is None or org.strip() in (organization.name, str(organization.id)):
        return
    failures.fail(
        f"--org {org!r}: the API key acts for organization {organization.name!r} "
        f"(id {organization.id}); drop --org, or use a key of {org!r}",
        failures.EXIT_INVALID,
    )
