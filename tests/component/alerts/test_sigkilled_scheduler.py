"""The only scheduler process is SIGKILLed; a live process that never scheduled anything (here,
the test's own alerter) reports the slot that nobody wrote. Real processes, system clock; the
waits are bounded and nothing is asserted about how long anything took."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cronwright import domain
from cronwright.bootstrap import node
from cronwright.clock import SystemClock
from cronwright.engine import alerts
from cronwright.planning import alerts as planning
from cronwright.service import alert_channels
from cronwright.store.catalog import alert_channels as store_alert_channels
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import dialect
from tests.component.alerts.receivers import WAIT, WebhookReceiver
from tests.conftest import LOCAL_OUTBOUND

CHILD = Path(__file__).with_name("scheduler_child.py")
pytestmark = pytest.mark.slow


def test_a_live_process_reports_the_slot_a_killed_scheduler_never_wrote(
    database_url: str,
) -> None:
    clock = SystemClock()
    engine = dialect.create_engine(database_url)
    store = sql_catalog.SqlCatalog(engine)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), database_url], stdout=subprocess.PIPE, text=True
    )
    alerter: alerts.Alerter | None = None
    try:
        assert child.stdout is not None
        for _ in range(3):  # the child schedules and runs: three runs done
            assert child.stdout.readline().strip() == "ran"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=WAIT)
        [org] = store.list_organizations()
        [schedule] = store.list_schedules(org.id, domain.ScheduleFilter(), after_id=None, limit=10)
        stuck_at = schedule.next_fire_at
        assert stuck_at is not None

        with WebhookReceiver() as receiver:
            alert_channels.AlertChannels(
                store_alert_channels.SqlAlertChannels(engine),
                clock,
                outbound_policy=LOCAL_OUTBOUND,
            ).create(
                org.id,
                name="hook",
                kind=domain.AlertChannelKind.WEBHOOK,
                target=receiver.url,
                events=["schedule_missed"],
            )
            settings = alerts.AlerterSettings(
                outbound_policy=LOCAL_OUTBOUND,
                poll_interval=timedelta(milliseconds=50),
                rate=planning.RateLimit(max_alerts=1000),  # runs left pending alert too
            )
            alerter = node.build_alerter(engine, clock, settings)
            alerter.start()

            def scheduler_alert() -> bool:
                return any(body["details"]["cause"] == "scheduler" for body in receiver.bodies())

            with receiver.arrived:
                assert receiver.arrived.wait_for(scheduler_alert, WAIT)
    finally:
        if alerter is not None:
            alerter.stop()
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=WAIT)
        if child.stdout is not None:
            child.stdout.close()
        engine.dispose()
    [body] = [b for b in receiver.bodies() if b["details"]["cause"] == "scheduler"]
    assert body["schedule_id"] == schedule.id
    assert body["details"]["slot"] == stuck_at.isoformat()
    # Nothing wrote that slot since: the report is about the dead process's last state.
    assert store_next_fire_at(database_url, schedule) == stuck_at


def store_next_fire_at(url: str, schedule: domain.Schedule) -> object:
    reopened = sql_catalog.SqlCatalog.from_url(url)
    try:
        return reopened.get_schedule(schedule.org_id, schedule.id).next_fire_at
    finally:
        reopened.close()
