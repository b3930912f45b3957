"""A channel that hangs holds one alerter thread, and nothing else: runs go on finishing.

No timing: the receiver accepts the webhook's connection and never answers, and the test checks
the order of events: the delivery is in flight (connected, no attempt recorded) before, while and
after the runs finish; only then is the connection dropped and the failed attempt recorded.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from cronwright import domain
from tests.component.alerts.conftest import Harness
from tests.component.alerts.receivers import WAIT, HangingReceiver
from tests.support.rows import delivery_attempts


def test_a_hanging_webhook_does_not_delay_runs(harness: Harness) -> None:
    with HangingReceiver() as receiver:
        harness.webhook(receiver.url, events=["run_failed"])
        harness.schedule("first")
        [failed] = harness.next_slot("fail")
        harness.alerter.scan_once()
        sending = threading.Thread(target=harness.alerter.deliver_once)
        sending.start()
        assert receiver.accepted.wait(WAIT), "the alerter never connected"
        [delivery] = harness.deliveries()

        # While the delivery hangs, more schedules fire and their runs are claimed, executed
        # and finished through the queue, as a worker does.
        for name in ("second", "third", "fourth"):
            harness.schedule(name)
        harness.clock.advance(timedelta(minutes=1))
        harness.app.scheduler.tick()
        runs = harness.run_due()

        assert sending.is_alive(), "the delivery should still be hanging"
        assert delivery_attempts(harness.alerter.store, delivery.id) == []
        harness.clock.advance(timedelta(seconds=1))  # the attempt ends after the runs did
        receiver.let_go()
        sending.join()
    assert failed.state is domain.RunState.FAILED
    assert len(runs) == 4  # the three new slots and the first schedule's next one
    assert {run.state for run in runs} == {domain.RunState.SUCCEEDED}
    [attempt] = delivery_attempts(harness.alerter.store, delivery.id)
    assert not attempt.delivered
    assert attempt.error is not None
    assert attempt.error.startswith(("RemoteProtocolError", "ReadError"))  # dropped, or reset
    assert attempt.started_at < min(run.started_at for run in runs if run.started_at)
    assert attempt.finished_at > max(run.finished_at for run in runs if run.finished_at)
    [after] = harness.deliveries()
    assert (after.state, after.attempts) == (domain.AlertDeliveryState.PENDING, 1)
