"""Outgoing requests (``http`` steps, webhooks, test alerts) reach only global addresses unless
the operator allows more (``CRONWRIGHT_OUTBOUND_ALLOW``): refused on save when the URL names a
refused address, and refused when connecting, on the address the connection uses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronwright import actions, domain, settings
from cronwright.clock import FakeClock
from cronwright.outbound import OutboundPolicy, OutboundRefused, client, ip_literal, refusal
from cronwright.store.catalog import alert_channels as store_alert_channels
from cronwright.store.database import dialect
from tests.component.engine.conftest import Bench
from tests.component.security.conftest import T0, V1, SecuredApi, serve_api
from tests.component.security.receivers import (
    InternalService,
    closed_port,
    hang_up_port,
    internal_service,
)
from tests.conftest import fresh_database_url

# The host and its networks, spelled every way an attacker tried.
REFUSED_HOSTS = [
    "127.0.0.1:5432",  # the database port
    "169.254.169.254",  # cloud metadata
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "[::1]",
    "[::]",
    "[fd00::1]",
    "[fe80::1]",
    "[ff02::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "0x7f.1",
    "017700000001",
    "localhost",
    "LOCALHOST.",
    "api.localhost",
]


def http_workflow(url: str) -> dict[str, Any]:
    return {
        "name": "probe",
        "definition": {"steps": [{"name": "fetch", "kind": "http", "config": {"url": url}}]},
    }


def webhook(url: str) -> dict[str, Any]:
    return {"name": "hook", "kind": "webhook", "target": url, "events": ["run_failed"]}


def problem_field(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    return error["field"], error["message"]


# -- on save ------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_an_http_step_aimed_at_the_host_or_its_network_is_refused_on_save(
    strict_api: SecuredApi, host: str
) -> None:
    org = strict_api.organization()
    response = org.editor.post(f"{V1}/workflows", json=http_workflow(f"http://{host}/x"))
    field, message = problem_field(response)
    assert field == "definition.steps[0].config"
    assert message.startswith("url: ")
    assert "CRONWRIGHT_OUTBOUND_ALLOW" in message


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_webhook_aimed_at_the_host_or_its_network_is_refused_on_save(
    strict_api: SecuredApi, host: str
) -> None:
    org = strict_api.organization()
    response = org.admin.post(f"{V1}/alert-channels", json=webhook(f"http://{host}/hook"))
    field, message = problem_field(response)
    assert field == "target"
    assert "outgoing requests may not reach" in message


def test_a_webhook_cannot_be_moved_to_the_host_by_an_edit(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    created = org.admin.post(f"{V1}/alert-channels", json=webhook("https://hooks.example.org/x"))
    assert created.status_code == 201, created.text
    moved = org.admin.patch(
        f"{V1}/alert-channels/{created.json()['id']}",
        json={"target": "http://169.254.169.254/latest/meta-data/"},
    )
    assert problem_field(moved)[0] == "target"


def test_global_addresses_and_names_are_accepted(strict_api: SecuredApi) -> None:
    org = strict_api.organization()
    for url in ("https://example.org/x", "http://93.184.215.14/x", "https://[2606:4700::1]/"):
        response = org.editor.post(f"{V1}/workflows", json=http_workflow(url) | {"name": url})
        assert response.status_code == 201, response.text
        response = org.admin.post(f"{V1}/alert-channels", json=webhook(url) | {"name": url})
        assert response.status_code == 201, response.text


@pytest.fixture
def local_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecuredApi]:
    """The API of an operator who allowed 127.0.0.1 (as a developer does on a laptop)."""
    yield from serve_api(request, tmp_path, outbound_allow="127.0.0.1")


def test_what_the_operator_allows_may_be_saved(local_api: SecuredApi) -> None:
    org = local_api.organization()
    response = org.editor.post(f"{V1}/workflows", json=http_workflow("http://127.0.0.1:9/x"))
    assert response.status_code == 201, response.text
    still_refused = org.editor.post(f"{V1}/workflows", json=http_workflow("http://10.0.0.1/"))
    assert problem_field(still_refused)[0] == "definition.steps[0].config"


# -- when sending test alerts -------------------------------------------------------------------


def stored_channel(api: SecuredApi, org_id: domain.OrganizationId, url: str) -> int:
    """A webhook written straight to the store, as one saved before this policy existed."""
    engine = dialect.create_engine(api.database_url)
    channels = store_alert_channels.SqlAlertChannels(engine)
    return int(
        channels.add(
            org_id=org_id,
            name=f"old {url}",
            kind=domain.AlertChannelKind.WEBHOOK,
            target=url,
            secret=None,
            events=("run_failed",),
            enabled=True,
            now=T0,
        ).id
    )  # the engine is disposed of with the test's database


def test_a_test_alert_to_a_channel_saved_before_the_policy_is_refused_when_connecting(
    strict_api: SecuredApi,
) -> None:
    org = strict_api.organization()
    with internal_service() as internal:
        channel_id = stored_channel(strict_api, org.org.id, internal.url("/hook"))
        answer = org.admin.post(f"{V1}/alert-channels/{channel_id}/test")
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivered"] is False
    assert "outbound policy" in answer.json()["error"]
    assert internal.paths == []  # nothing reached the host


def test_test_alerts_tell_no_port_state_to_the_organization(local_api: SecuredApi) -> None:
    """Closed port, an HTTP server that refuses the POST, a port that hangs up: one answer."""
    org = local_api.organization()
    answers = []
    with internal_service() as internal, hang_up_port() as hang_up:
        for url in (
            f"http://127.0.0.1:{closed_port()}/",
            internal.url("/hook"),
            f"http://127.0.0.1:{hang_up}/",
        ):
            created = org.admin.post(f"{V1}/alert-channels", json=webhook(url) | {"name": url})
            assert created.status_code == 201, created.text
            answer = org.admin.post(f"{V1}/alert-channels/{created.json()['id']}/test")
            assert answer.status_code == 200, answer.text
            answers.append((answer.json()["delivered"], answer.json()["error"]))
    assert internal.paths == ["/hook"]  # the operator allowed it: the request was made
    assert len(set(answers)) == 1, answers
    delivered, error = answers[0]
    assert delivered is False
    for leak in ("Connect", "405", "disconnect", "refused", "Errno", "HTTP"):
        assert leak not in error


def test_the_operator_still_sees_why_a_delivery_failed(local_api: SecuredApi) -> None:
    org = local_api.organization()
    url = f"http://127.0.0.1:{closed_port()}/"
    created = org.admin.post(f"{V1}/alert-channels", json=webhook(url))
    org.admin.post(f"{V1}/alert-channels/{created.json()['id']}/test")
    [delivery] = local_api.container.alerter.store.deliveries(org.org.id)
    assert delivery.last_error is not None
    assert "ConnectError" in delivery.last_error


# -- http steps, when they run ------------------------------------------------------------------


@pytest.fixture
def strict_bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    """The engine with the operator's default policy."""
    from cronwright.store.catalog import sql_catalog

    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    bench = Bench(store, FakeClock(T0))
    actions.install_default_actions(
        bench.registry, allow_shell=False, trigger_port=None, outbound_policy=OutboundPolicy()
    )
    yield bench
    store.close()


def test_an_http_step_whose_url_comes_from_the_input_cannot_reach_the_host(
    strict_bench: Bench,
) -> None:
    with internal_service() as internal:
        run = strict_bench.run(
            [{"name": "fetch", "kind": "http", "config": {"url": "{{ input.url }}"}}],
            max_attempts=1,
            url=internal.url(),
        )
        outcome = strict_bench.executor.execute(strict_bench.claim(run))
    assert outcome is not None
    assert outcome.state is domain.RunState.FAILED
    [step] = strict_bench.steps(run)
    assert step.error is not None
    assert "outgoing requests may not reach" in step.error
    assert InternalService.SECRET not in repr(step.output)
    assert internal.paths == []


def test_a_redirect_to_the_host_is_refused_at_its_hop() -> None:
    with internal_service() as internal:
        allowed_by_name = OutboundPolicy.parse("localhost")
        with client(allowed_by_name, follow_redirects=True) as http, pytest.raises(OutboundRefused):
            http.get(internal.url(f"/redirect?to={internal.url()}", host="localhost"))
    assert internal.paths == [f"/redirect?to={internal.url()}"]  # the hop was never made


def test_each_connection_checks_the_address_its_own_lookup_answered() -> None:
    """DNS rebinding: the name first resolves to an allowed address, then to a refused one."""
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    policy = OutboundPolicy.parse("127.0.0.1")
    with internal_service() as internal:
        url = f"http://rebind.test:{internal.port}/secret"
        with client(policy, resolver=lambda host, port: next(answers)) as http:
            assert http.get(url, headers={"Connection": "close"}).status_code == 200
            with pytest.raises(OutboundRefused, match="private"):
                http.get(url)
    assert internal.paths == ["/secret"]


def test_a_name_may_resolve_only_to_allowed_addresses() -> None:
    resolver = lambda host, port: ["127.0.0.1", "::1"]  # noqa: E731
    with (
        client(OutboundPolicy(), resolver=resolver) as http,
        pytest.raises(OutboundRefused, match="loopback"),
    ):
        http.get("http://looks-public.example/")


# -- addresses in every spelling ----------------------------------------------------------------

REFUSED_V4 = st.one_of(
    st.integers(0x7F000000, 0x7FFFFFFF),
    st.integers(0x0A000000, 0x0AFFFFFF),
    st.integers(0xA9FE0000, 0xA9FEFFFF),
    st.integers(0xAC100000, 0xAC1FFFFF),
    st.integers(0xC0A80000, 0xC0A8FFFF),
    st.integers(0xE0000000, 0xFFFFFFFF),
    st.integers(0, 0x00FFFFFF),
)


def spell(value: int, parts: int, bases: list[int]) -> str:
    """``value`` as inet_aton reads it: ``parts`` numbers, the last filling the rest."""
    numbers = [(value >> (8 * (3 - i))) & 0xFF for i in range(parts - 1)]
    numbers.append(value & ((1 << (8 * (5 - parts))) - 1))
    return ".".join(_in_base(n, base) for n, base in zip(numbers, bases, strict=False))


def _in_base(number: int, base: int) -> str:
    if base == 16:
        return hex(number)
    if base == 8:
        return "0" + format(number, "o")
    return str(number)


@given(
    value=REFUSED_V4,
    parts=st.integers(1, 4),
    bases=st.lists(st.sampled_from([10, 16, 8]), min_size=4, max_size=4),
)
def test_every_spelling_of_a_refused_ipv4_address_is_read_and_refused(
    value: int, parts: int, bases: list[int]
) -> None:
    text = spell(value, parts, bases)
    address = ipaddress.IPv4Address(value)
    assert ip_literal(text) == address
    assert socket.inet_aton(text) == address.packed  # the resolver reads it the same way
    assert refusal(address) is not None
    with pytest.raises(OutboundRefused):
        OutboundPolicy().check_url(f"http://{text}/")


@given(st.ip_addresses(v=6))
def test_an_ipv6_address_embedding_an_ipv4_one_is_judged_by_it(
    address: ipaddress.IPv6Address,
) -> None:
    mapped = ipaddress.IPv6Address("::ffff:0:0").packed[:12] + address.packed[12:]
    embedded = ipaddress.IPv4Address(address.packed[12:])
    assert (refusal(ipaddress.IPv6Address(mapped)) is None) == (refusal(embedded) is None)


@pytest.mark.parametrize(
    "name", ["example.org", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "0x1g", "08.1.1.1", "a.b"]
)
def test_names_are_not_taken_for_addresses(name: str) -> None:
    assert ip_literal(name) is None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::1", "2a00:1450::1"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_the_operator_allows_ranges_and_names() -> None:
    policy = settings.Settings(
        outbound_allow="10.0.0.0/8, internal.example ,*.corp.example,fd00::/8"
    ).outbound_policy
    assert policy.entries == ["10.0.0.0/8", "fd00::/8", "*.corp.example", "internal.example"]
    policy.check_address("x", ipaddress.ip_address("10.9.9.9"))
    policy.check_address("internal.example", ipaddress.ip_address("192.168.0.5"))
    policy.check_address("db.corp.example", ipaddress.ip_address("192.168.0.5"))
    with pytest.raises(OutboundRefused):
        policy.check_address("corp.example", ipaddress.ip_address("192.168.0.5"))


def test_a_bad_allow_entry_is_refused_naming_the_setting() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        settings.Settings(outbound_allow="10.0.0.0/8,not a host")
    assert settings.describe_error(caught.value).startswith(
        "CRONWRIGHT_OUTBOUND_ALLOW: 'not a host' is neither an address range nor a host name"
    )


@pytest.mark.parametrize(("allow", "health_check"), [("", False), ("127.0.0.1", True)])
def test_the_demo_calls_its_own_api_only_where_the_operator_allows_it(
    request: pytest.FixtureRequest, tmp_path: Path, allow: str, health_check: bool
) -> None:
    from cronwright.bootstrap import runtime
    from cronwright.cli import serve

    url = fresh_database_url(request, "sqlite", tmp_path)
    chosen = settings.Settings(database_url=url, port=0, outbound_allow=allow)
    built = runtime.Runtime.build(
        chosen, runtime.Role.SERVE, api_factory=serve.api_app, demo_mode=True
    )
    try:
        assert built.seeded is not None
        names = {schedule.spec.name for schedule in built.seeded.schedules}
        assert ("health check every 15 seconds" in names) is health_check
        assert "hello every 10 seconds" in names
    finally:
        built.api_close()
        built.store.close()


@pytest.mark.parametrize(("allow", "reached"), [("", False), ("127.0.0.0/8", True)])
def test_a_worker_built_from_the_settings_sends_under_their_policy(
    request: pytest.FixtureRequest, tmp_path: Path, allow: str, reached: bool
) -> None:
    from datetime import timedelta

    from cronwright.actions import StepContext
    from cronwright.actions.base import RunContext
    from cronwright.bootstrap import runtime

    url = fresh_database_url(request, "sqlite", tmp_path)
    chosen = settings.Settings(database_url=url, outbound_allow=allow)
    built = runtime.Runtime.build(chosen, runtime.Role.WORKER)
    try:
        with internal_service() as internal:
            step = domain.Step(name="fetch", kind="http", config={"url": internal.url()})
            outcome = built.registry.build(step).run(
                StepContext(
                    run_id=domain.RunId(1),
                    attempt=1,
                    step="fetch",
                    input={},
                    upstream={},
                    timeout=timedelta(seconds=30),
                    run=RunContext.bare(datetime(2026, 3, 2, tzinfo=UTC), domain.Trigger.MANUAL),
                )
            )
        assert (internal.paths == ["/secret"]) is reached
        assert outcome.ok is reached, outcome.error
    finally:
        built.store.close()
