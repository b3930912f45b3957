"""E-mail alerts to a real SMTP server (aiosmtpd) running in this process."""

from __future__ import annotations

from datetime import timedelta

from cronwright import domain
from cronwright.clock import FakeClock
from cronwright.engine.delivery import smtp_mail
from tests.component.alerts.conftest import Harness, make_app
from tests.component.alerts.receivers import SmtpReceiver, free_port


def smtp_harness(url: str, clock: FakeClock, port: int) -> Harness:
    smtp = smtp_mail.SmtpSettings(
        host="127.0.0.1", port=port, sender="cron@example.org", timeout=timedelta(seconds=30)
    )
    return Harness(make_app(url, clock, smtp=smtp), clock)


def test_a_failure_is_mailed_as_plain_text_and_html(database_url: str, clock: FakeClock) -> None:
    with SmtpReceiver() as server:
        harness = smtp_harness(database_url, clock, server.port)
        harness.mailbox("oncall@example.org", events=["run_failed"])
        harness.schedule("nightly report")
        [run] = harness.next_slot("fail")
        [record] = harness.alert()
        harness.app.close()
    [message] = server.messages
    assert server.envelopes == [("cron@example.org", ["oncall@example.org"])]
    assert message["To"] == "oncall@example.org"
    assert message["From"] == "cron@example.org"
    assert message["Subject"].strip().startswith("[cronwright] schedule 'nightly report': run ")
    assert message["X-Cronwright-Event"] == "run_failed"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert f"failure:run:{run.id}" in plain.get_content()
    assert "RuntimeError" in plain.get_content()  # the run's error is in the mail
    assert "<table>" in html.get_content()
    assert "nightly report" in html.get_content()
    assert record is not None
    assert record.state is domain.AlertDeliveryState.DELIVERED


def test_an_smtp_server_that_is_down_is_retried(database_url: str, clock: FakeClock) -> None:
    port = free_port()  # nothing listens yet
    harness = smtp_harness(database_url, clock, port)
    harness.mailbox("oncall@example.org")
    harness.schedule()
    harness.next_slot("fail")
    [refused] = harness.alert()
    assert refused is not None
    assert refused.state is domain.AlertDeliveryState.PENDING
    assert refused.last_error is not None
    assert "ConnectionRefusedError" in refused.last_error
    with SmtpReceiver(port) as server:  # the server comes up
        clock.advance(harness.alerter.settings.policy.initial)
        [delivered] = harness.alerter.deliver_once()
    assert delivered is not None
    assert (delivered.state, delivered.attempts) == (domain.AlertDeliveryState.DELIVERED, 2)
    assert len(server.messages) == 1
    harness.app.close()
