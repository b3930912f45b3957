"""``App.start()`` runs the alerter next to the scheduler and workers: real threads, system clock.

A failing action's run is alerted to a webhook with no step driven by the test; waits are bounded
and nothing is asserted about how long anything took.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cronwright import App, domain
from cronwright.actions import StepContext
from cronwright.clock import SystemClock
from cronwright.engine import alerts
from cronwright.service import alert_channels, triggers
from cronwright.store.catalog import alert_channels as store_alert_channels
from cronwright.store.slots.slot_ledger import SqlSlotLedger
from tests.component.alerts.receivers import WAIT, WebhookReceiver
from tests.conftest import LOCAL_OUTBOUND


def test_a_started_app_alerts_a_failed_run(tmp_path: Path) -> None:
    settings = alerts.AlerterSettings(
        outbound_policy=LOCAL_OUTBOUND, poll_interval=timedelta(milliseconds=50)
    )
    app = App(
        f"sqlite:///{tmp_path / 'app.db'}",
        alert_settings=settings,
        poll_interval=timedelta(milliseconds=50),
    )

    @app.action("broken")
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("out of paper")

    clock = SystemClock()
    with WebhookReceiver() as receiver:
        channels = alert_channels.AlertChannels(
            store_alert_channels.SqlAlertChannels(app.store.engine),
            clock,
            outbound_policy=LOCAL_OUTBOUND,
        )
        channels.create(
            app.organization.id,
            name="hook",
            kind=domain.AlertChannelKind.WEBHOOK,
            target=receiver.url,
            events=["run_failed"],
        )
        schedule = app.schedule("print", "0 0 1 1 *", action="broken", max_attempts=1)
        app.start()
        try:
            run = triggers.Triggers(app.store, SqlSlotLedger(app.store.engine), clock).trigger_now(
                app.organization.id, schedule.id
            )
            with receiver.arrived:
                assert receiver.arrived.wait_for(lambda: receiver.requests, WAIT)
        finally:
            app.stop(timedelta(seconds=WAIT))
            app.close()
    [body] = receiver.bodies()
    assert (body["event"], body["run_id"]) == ("run_failed", run.id)
    assert "out of paper" in body["details"]["error"]
