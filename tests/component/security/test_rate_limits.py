"""Failed authentication is limited per client address and per API key prefix, on the API and on
the dashboard's sign-in: past the allowance every attempt gets 429 with ``Retry-After``, the right
secret included, until the allowance refills (on the injected clock: no waiting here)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronwright.clock import FakeClock
from cronwright.service import throttle
from tests.component.security.edge import T0, V1, Edge, Tenant, csrf_of, problem_of, same_origin

PER_PREFIX = throttle.PER_KEY_PREFIX.failures
PER_ADDRESS = throttle.PER_ADDRESS.failures


def wrong_secret(token: str) -> str:
    """The same key prefix with another secret: a guess at a known key."""
    prefix = token.rsplit("_", 1)[0]
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def unknown_key() -> str:
    return f"cw_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, (response.status_code, response.text[:300])
    seconds = int(response.headers["retry-after"])
    assert seconds >= 1
    return seconds


def test_guessing_one_keys_secret_over_the_api_is_stopped(edge: Edge, acme: Tenant) -> None:
    token = acme.tokens["viewer"]
    for _ in range(PER_PREFIX):
        problem_of(edge.client(wrong_secret(token)).get(f"{V1}/schedules"), 401)
    refused = edge.client(wrong_secret(token)).get(f"{V1}/schedules")
    problem = problem_of(refused, 429)
    assert "too many failed" in problem["detail"]
    wait = retry_after(refused)
    # Operators see refusals under the route they were aimed at.
    metrics = edge.client().get("/metrics").text
    assert 'route="/api/v1/schedules",status="429"' in metrics
    # The right secret is refused too while the key is locked: answering it would tell a guesser
    # when they got it right, at full speed.
    retry_after(edge.client(token).get(f"{V1}/schedules"))
    # Another key from the same address is not locked (the address has allowance left).
    assert edge.client(acme.tokens["admin"]).get(f"{V1}/schedules").status_code == 200
    edge.clock.advance(timedelta(seconds=wait))
    assert edge.client(token).get(f"{V1}/schedules").status_code == 200


def test_guessing_many_keys_from_one_address_is_stopped(edge: Edge, acme: Tenant) -> None:
    for _ in range(PER_ADDRESS):
        problem_of(edge.client(unknown_key()).get(f"{V1}/schedules"), 401)
    wait = retry_after(edge.client(unknown_key()).post(f"{V1}/cron/validate", json={}))
    # Every key from that address waits, valid ones included.
    retry_after(edge.client(acme.tokens["admin"]).get(f"{V1}/organization"))
    edge.clock.advance(timedelta(seconds=wait))
    assert edge.client(acme.tokens["admin"]).get(f"{V1}/organization").status_code == 200


def test_successes_do_not_buy_more_guesses(edge: Edge, acme: Tenant) -> None:
    token = acme.tokens["editor"]
    for _ in range(PER_PREFIX):
        problem_of(edge.client(wrong_secret(token)).get(f"{V1}/schedules"), 401)
        assert edge.client(acme.tokens["viewer"]).get(f"{V1}/schedules").status_code == 200
    retry_after(edge.client(wrong_secret(token)).get(f"{V1}/schedules"))


def dashboard_sign_in(edge: Edge, token: str) -> httpx.Response:
    client = edge.client(follow_redirects=False)
    form = {"api_key": token, "csrf": edge.signin_form(client)}
    return client.post("/ui/signin", data=form, headers=same_origin(edge.url))


def test_guessing_at_the_dashboards_sign_in_is_stopped(edge: Edge, acme: Tenant) -> None:
    token = acme.tokens["viewer"]
    for _ in range(PER_PREFIX):
        assert dashboard_sign_in(edge, wrong_secret(token)).status_code == 401
    refused = dashboard_sign_in(edge, token)
    wait = retry_after(refused)
    assert refused.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in refused.text
    assert "cronwright_session" not in refused.headers.get("set-cookie", "")
    # The API and the dashboard draw on one allowance.
    retry_after(edge.client(token).get(f"{V1}/schedules"))
    edge.clock.advance(timedelta(seconds=wait))
    assert dashboard_sign_in(edge, token).status_code == 303


def test_forged_session_cookies_count_as_failures(edge: Edge, acme: Tenant) -> None:
    client = edge.signed_in(acme.tokens["viewer"])
    token = csrf_of(client.get("/ui/"))
    assert token
    forger = edge.client(follow_redirects=False)
    for _ in range(PER_PREFIX):
        forger.cookies.set("cronwright_session", wrong_secret(acme.tokens["viewer"]))
        assert forger.get("/ui/").status_code == 303  # to the sign-in page
    forger.cookies.set("cronwright_session", wrong_secret(acme.tokens["viewer"]))
    page = forger.get("/ui/")
    retry_after(page)
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("missing", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_requests_without_a_bearer_key_are_not_counted(
    edge: Edge, acme: Tenant, missing: dict[str, str]
) -> None:
    """A client that forgot its key has guessed nothing."""
    for _ in range(PER_ADDRESS + 5):
        problem_of(edge.client().get(f"{V1}/schedules", headers=missing), 401)
    assert edge.client(acme.tokens["viewer"]).get(f"{V1}/schedules").status_code == 200


@settings(max_examples=200, deadline=None)
@given(
    failures=st.integers(min_value=1, max_value=40),
    gaps=st.lists(st.floats(min_value=0, max_value=30), min_size=40, max_size=40),
)
def test_the_allowance_is_never_exceeded_over_any_window(failures: int, gaps: list[float]) -> None:
    """Over any stretch of time, the attempts let through are at most the burst plus what the
    refill rate earned in that stretch; and a refused subject is told when it may try again."""
    clock = FakeClock(T0)
    allowance = throttle.Allowance(failures=5, per=timedelta(seconds=60))
    limits = throttle.FailedAuthThrottle(clock, per_address=allowance, per_key_prefix=allowance)
    allowed_at, waits = [], []
    for gap in gaps[:failures]:
        clock.advance(timedelta(seconds=gap))
        try:
            limits.check(address="203.0.113.9", token=None)
        except throttle.TooManyAttempts as refused:
            waits.append(refused.retry_after_seconds)
            continue
        allowed_at.append(clock.now())
        limits.failed(address="203.0.113.9", token=None)
    assert all(1 <= wait <= allowance.per.total_seconds() for wait in waits)
    for i, start in enumerate(allowed_at):
        for j in range(i, len(allowed_at)):
            span = (allowed_at[j] - start).total_seconds()
            assert j - i + 1 <= allowance.failures + span * allowance.refill_per_second + 1e-9
