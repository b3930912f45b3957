"""``serve`` with the SMTP settings: test alerts and the alerter's own mail go through the
configured server, from the configured address, and are counted in the metrics."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.component.alerts.receivers import SmtpReceiver
from tests.system.e2e.processes import (
    BANNER,
    KEY,
    Process,
    api_client,
    create_schedule,
    environment,
    wait_until,
)

pytestmark = pytest.mark.slow


def test_email_alerts_use_the_smtp_settings(tmp_path: Path) -> None:
    with SmtpReceiver() as mailbox:
        env = environment(
            smtp_host="127.0.0.1",
            smtp_port=str(mailbox.port),
            smtp_from="scheduler@example.org",
        )
        process = Process(["serve", "--demo", "--port", "0"], cwd=tmp_path, env=env)
        try:
            url = process.wait_for_output(BANNER).group(1)
            token = process.wait_for_output(KEY).group(1)
            with api_client(url, token) as client:
                channel = client.post(
                    "/alert-channels",
                    json={
                        "name": "on-call",
                        "kind": "email",
                        "target": "oncall@example.org",
                        "events": ["run_failed"],
                    },
                )
                assert channel.status_code == 201, channel.text
                tested = client.post(f"/alert-channels/{channel.json()['id']}/test")
                assert tested.json()["delivered"] is True, tested.text
                # A run that fails on its only attempt: the alerter of serve mails about it.
                create_schedule(
                    client,
                    "always fails",
                    "* * * * * *",
                    [{"name": "work", "kind": "python", "config": {"function": "demo.sleep"}}],
                    input={"seconds": "not a number"},
                    max_attempts=1,
                    overlap="skip",
                )
                wait_until(lambda: len(mailbox.messages) >= 2, 60, process.describe)

            def alerts_sent() -> float:
                metrics = httpx.get(f"{url}/metrics", timeout=10).text
                found = re.search(
                    r'^cronwright_alerts_sent_total\{kind="email"\} (\S+)$', metrics, re.M
                )
                return float(found.group(1)) if found else 0.0

            # The alerter's mail; the test alert is sent by the API, not counted here.
            assert wait_until(alerts_sent, 30, process.describe) >= 1
            process.signal(signal.SIGTERM)
            assert process.wait() == 0, process.describe()
        finally:
            process.stop()
    assert {str(message["From"]) for message in mailbox.messages} == {"scheduler@example.org"}
    assert {to for _, tos in mailbox.envelopes for to in tos} == {"oncall@example.org"}
