"""The ``http`` action against a real HTTP server on 127.0.0.1, run by the executor."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from tests.component.actions.conftest import Server
from tests.component.engine.conftest import Bench, python_step

from cronwright import domain
from cronwright.actions import StepContext, caps
from cronwright.clock import SystemClock
from cronwright.engine.executor import Executor

State = domain.RunState
SECRET = "s3cr3t-token-value"


def http_step(
    name: str, *depends_on: str, step_timeout: float | None = None, **config: Any
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": name,
        "kind": "http",
        "config": config,
        "depends_on": list(depends_on),
    }
    if step_timeout is not None:
        step["timeout"] = step_timeout
    return step


def execute(bench: Bench, run: domain.Run) -> domain.RunOutcome:
    outcome = bench.executor.execute(bench.claim(run))
    assert outcome is not None
    return outcome


def test_a_get_answers_its_status_and_json_body(bench: Bench, server: Server) -> None:
    run = bench.run([http_step("fetch", url=f"{server.url}/echo/1")])
    outcome = execute(bench, run)
    assert outcome.state is State.SUCCEEDED
    output = bench.steps(run)[0].output
    assert isinstance(output, dict)
    assert output["status"] == 200
    assert isinstance(output["body"], dict)
    assert output["body"]["method"] == "GET"
    assert output["body"]["path"] == "/echo/1"


def test_a_post_sends_its_headers_and_json_body_built_from_references(
    bench: Bench, server: Server
) -> None:
    run = bench.run(
        [
            http_step("first", url=f"{server.url}/echo"),
            http_step(
                "second",
                "first",
                method="POST",
                url=f"{server.url}/orders/{{{{ input.customer_id }}}}",
                headers={"X-Request-Path": "{{ steps.first.output.body.path }}"},
                json={"customer": "{{ input.customer_id }}", "note": "id={{ input.customer_id }}"},
            ),
        ],
        customer_id=42,
    )
    assert execute(bench, run).state is State.SUCCEEDED
    sent = server.requests[-1]
    assert sent["method"] == "POST"
    assert sent["path"] == "/orders/42"
    headers = sent["headers"]
    assert isinstance(headers, dict)
    assert headers["x-request-path"] == "/echo"
    assert sent["json"] == {"customer": 42, "note": "id=42"}  # whole reference keeps the number


def test_a_status_outside_the_expected_ones_fails_the_step(bench: Bench, server: Server) -> None:
    run = bench.run([http_step("call", url=f"{server.url}/status/503")])
    outcome = execute(bench, run)
    assert outcome == domain.RunOutcome.failed(
        f"step 'call': GET {server.url}/status/503 answered 503, expected 2xx: "
        '{"error": "as asked"}'
    )


def test_expected_statuses_may_include_errors(bench: Bench, server: Server) -> None:
    run = bench.run([http_step("call", url=f"{server.url}/status/404", expect_status=[200, 404])])
    assert execute(bench, run).state is State.SUCCEEDED
    assert bench.steps(run)[0].output == {"status": 404, "body": {"error": "as asked"}}


def test_a_long_body_is_cut_with_a_marker(bench: Bench, server: Server) -> None:
    size = caps.MAX_TEXT_BYTES * 3
    run = bench.run([http_step("big", url=f"{server.url}/text/{size}")])
    assert execute(bench, run).state is State.SUCCEEDED
    output = bench.steps(run)[0].output
    assert isinstance(output, dict)
    assert output["body"] == "x" * caps.MAX_TEXT_BYTES + f"…[truncated: {size} bytes in all]"


def test_a_server_that_does_not_answer_in_time_fails_the_step(bench: Bench, server: Server) -> None:
    run = bench.run([http_step("slow", url=f"{server.url}/hold", timeout=0.3)])
    outcome = execute(bench, run)
    assert outcome == domain.RunOutcome.failed(
        f"step 'slow': GET {server.url}/hold: no answer in 0.3 s"
    )


def test_secret_header_values_stay_out_of_outputs_errors_and_records(
    bench: Bench, server: Server
) -> None:
    headers: dict[str, domain.JsonValue] = {"Authorization": f"Bearer {SECRET}"}
    run = bench.run(
        [
            http_step("ok", url=f"{server.url}/text/3", headers=headers),
            http_step("refused", url=f"{server.url}/status/401", headers=headers),
            http_step("nowhere", url="http://127.0.0.1:9/?token=abc", headers=headers),
        ]
    )
    outcome = execute(bench, run)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # type: ignore[index]
    recorded = repr([(s.output, s.error) for s in bench.steps(run)]) + repr(outcome)
    assert SECRET not in recorded
    assert "token=abc" not in recorded  # query strings may carry credentials too
    assert "ConnectError" in recorded  # the unreachable one did fail, and says how
    assert SECRET not in repr(
        bench.registry.build(
            domain.Step(name="x", kind="http", config={"url": "http://a", "headers": headers})
        )
    )


def test_a_run_cancelled_mid_request_stops_waiting(bench: Bench, server: Server) -> None:
    interrupt = threading.Event()
    run = bench.run([http_step("slow", url=f"{server.url}/hold")])
    executor = Executor(bench.registry, SystemClock(), bench.queue)
    result: list[domain.RunOutcome | None] = []
    worker = threading.Thread(
        target=lambda: result.append(executor.execute(bench.claim(run), interrupt=interrupt))
    )
    worker.start()
    assert server.holding.wait(10)
    interrupt.set()
    worker.join(10)
    assert result == [None]
    assert [(s.name, s.state) for s in bench.steps(run)] == [("slow", State.CANCELLED)]


def test_a_python_step_reads_the_response_of_the_step_it_depends_on(
    bench: Bench, server: Server
) -> None:
    def method_of(ctx: StepContext) -> object:
        fetched = ctx.upstream["fetch"]
        assert isinstance(fetched, dict)
        body = fetched["body"]
        assert isinstance(body, dict)
        return body["method"]

    bench.functions.register("method_of", method_of)
    run = bench.run(
        [http_step("fetch", url=f"{server.url}/echo"), python_step("use", "method_of", "fetch")]
    )
    result = execute(bench, run).result
    assert isinstance(result, dict)
    assert result["use"] == "GET"


def test_a_step_timeout_cuts_the_request(bench: Bench, server: Server) -> None:
    run = bench.run([http_step("slow", step_timeout=0.3, url=f"{server.url}/hold")])
    claimed = bench.claim(run)
    outcome = Executor(bench.registry, SystemClock(), bench.queue).execute(
        domain.ClaimedRun(
            run=claimed.run, definition=claimed.definition, timeout=timedelta(hours=1)
        )
    )
    assert outcome is not None
    # The action's own timeout is capped by the step's, so httpx gives up in time; the executor
    # may also see the deadline first: either way the step did not succeed.
    assert outcome.state in (State.FAILED, State.TIMED_OUT)


def test_a_reference_to_missing_input_fails_the_step_and_skips_its_dependants(
    bench: Bench, server: Server
) -> None:
    run = bench.run(
        [
            http_step("fetch", url="{{ input.api }}/echo"),
            http_step("after", "fetch", url=f"{server.url}/echo"),
        ],
        base_url="http://typo",
    )
    outcome = execute(bench, run)
    assert outcome == domain.RunOutcome.failed(
        "step 'fetch': {{ input.api }}: input has no key 'api'"
    )
    assert [(s.name, s.state, s.error) for s in bench.steps(run)] == [
        ("fetch", State.FAILED, "{{ input.api }}: input has no key 'api'"),
        ("after", State.SKIPPED, "not run: step 'fetch' failed"),
    ]
    assert server.requests == []  # nothing was sent
