"""The client waits out 429 and 503 answers as ``Retry-After`` says, on a real local server that
answers from a script; the fake clock records each wait, so nothing really sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pydantic
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cronwright.client import Client, RateLimited, RetryPolicy, Unavailable
from cronwright.client.transport import retry_after_seconds
from cronwright.clock import FakeClock
from cronwright.testing.server import ServerThread

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ORGANIZATION = {
    "id": 1,
    "name": "acme",
    "max_schedules": 10,
    "max_concurrent_runs": 5,
    "schedule_count": 0,
    "created_at": "2026-03-02T09:30:00Z",
}


class Script:
    """Answers from a list, one per request; records what each request carried."""

    def __init__(self) -> None:
        self.answers: list[Response] = []
        self.seen: list[dict[str, str]] = []

    async def answer(self, request: Request) -> Response:
        self.seen.append(dict(request.headers))
        return self.answers.pop(0)


def busy(status: int, retry_after: str | None) -> Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    document = {"type": "about:blank", "title": "Busy", "status": status, "detail": "later"}
    return JSONResponse(document, status, headers, media_type="application/problem+json")


@pytest.fixture(scope="module")
def script() -> Iterator[tuple[Script, str]]:
    answers = Script()
    app = Starlette(routes=[Route("/api/v1/organization", answers.answer)])
    with ServerThread(app) as server:
        yield answers, server.url


def test_retry_after_in_seconds_is_waited_then_the_answer_is_returned(
    script: tuple[Script, str],
) -> None:
    answers, url = script
    answers.answers = [busy(429, "7"), busy(503, "2"), JSONResponse(ORGANIZATION)]
    clock = FakeClock(T0)
    with Client(url, "cw_key", clock=clock) as client:
        assert client.organization.get().name == "acme"
    assert clock.slept_until == [T0 + timedelta(seconds=7), T0 + timedelta(seconds=9)]
    assert all(seen["authorization"] == "Bearer cw_key" for seen in answers.seen[-3:])


def test_without_retry_after_the_waits_double(script: tuple[Script, str]) -> None:
    answers, url = script
    answers.answers = [busy(503, None), busy(503, None), JSONResponse(ORGANIZATION)]
    clock = FakeClock(T0)
    policy = RetryPolicy(attempts=3, first_wait=timedelta(seconds=1))
    with Client(url, "cw_key", clock=clock, retry=policy) as client:
        client.organization.get()
    assert clock.slept_until == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=3)]


def test_after_the_last_attempt_the_problem_is_raised(script: tuple[Script, str]) -> None:
    answers, url = script
    answers.answers = [busy(503, "1"), busy(503, "1")]
    clock = FakeClock(T0)
    with (
        Client(url, "cw_key", clock=clock, retry=RetryPolicy(attempts=2)) as client,
        pytest.raises(Unavailable) as raised,
    ):
        client.organization.get()
    assert (raised.value.status, raised.value.detail, raised.value.retry_after) == (503, "later", 1)
    assert len(clock.slept_until) == 1


def test_a_wait_longer_than_the_policy_allows_is_not_waited(script: tuple[Script, str]) -> None:
    answers, url = script
    answers.answers = [busy(429, "3600")]
    clock = FakeClock(T0)
    with Client(url, "cw_key", clock=clock) as client, pytest.raises(RateLimited) as raised:
        client.organization.get()
    assert raised.value.retry_after == 3600
    assert clock.slept_until == []


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(T0 + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, T0) == 30
    assert retry_after_seconds("0", T0) == 0
    assert retry_after_seconds(format_datetime(T0 - timedelta(hours=1), usegmt=True), T0) == 0
    assert retry_after_seconds("soon", T0) is None
    assert retry_after_seconds(None, T0) is None


def test_members_a_newer_server_adds_to_an_answer_are_ignored(script: tuple[Script, str]) -> None:
    answers, url = script
    answers.answers = [JSONResponse({**ORGANIZATION, "region": "eu-west", "plan": {"tier": 2}})]
    with Client(url, "cw_key", clock=FakeClock(T0)) as client:
        organization = client.organization.get()
    assert (organization.name, organization.schedule_count) == ("acme", 0)
    assert "region" not in organization.model_dump()
    # Requests stay strict: a field the API does not know is refused before anything is sent.
    with Client(url, "cw_key") as client, pytest.raises(pydantic.ValidationError) as refused:
        client.schedules.create(workflow_id=1, name="n", cron="0 3 * * *", colour="red")
    assert refused.value.errors()[0]["type"] == "extra_forbidden"
