"""Alert tests run the real engine: the embeddable App (scheduler, queue, worker, alerter) over
a database on SQLite or PostgreSQL, with a fake clock, driven one step at a time."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from cronwright import App, domain
from cronwright.actions import StepContext
from cronwright.clock import FakeClock
from cronwright.domain import alert_channel
from cronwright.engine import alerts
from cronwright.engine.executor import Executor
from cronwright.service import alert_channels
from cronwright.store.catalog import alert_channels as store_alert_channels
from tests.conftest import LOCAL_OUTBOUND

_channel_numbers = itertools.count(1)

SECRET = "s3cret-signing-key-0123456789"
ALL_EVENTS = ["run_failed", "run_recovered", "schedule_missed"]


class Harness:
    """An App whose actions do what the test says, with helpers to run what is due and alert."""

    def __init__(self, app: App, clock: FakeClock) -> None:
        self.app = app
        self.clock = clock
        self.outcomes: list[str] = []  # "ok" or "fail", taken in order by the "job" action
        self.channels = alert_channels.AlertChannels(
            store_alert_channels.SqlAlertChannels(app.store.engine),
            clock,
            outbound_policy=LOCAL_OUTBOUND,
        )
        self.executor = Executor(app.registry, clock, app.queue)

        @app.action("job")
        def job(ctx: StepContext) -> str:
            if self.outcomes and self.outcomes.pop(0) == "fail":
                raise RuntimeError("the job broke")
            return "done"

    @property
    def alerter(self) -> alerts.Alerter:
        return self.app.alerter

    @property
    def org(self) -> domain.OrganizationId:
        return self.app.organization.id

    def schedule(self, name: str = "nightly", cron: str = "* * * * *", **policies: Any) -> int:
        policies.setdefault("max_attempts", 1)
        return int(self.app.schedule(name, cron, action="job", **policies).id)

    def webhook(self, url: str, events: list[str] | None = None) -> alert_channel.AlertChannel:
        return self.channels.create(
            self.org,
            name=f"hook {next(_channel_numbers)}",  # names are unique in an organization
            kind=domain.AlertChannelKind.WEBHOOK,
            target=url,
            events=events or ALL_EVENTS,
            secret=SECRET,
        )

    def mailbox(self, address: str, events: list[str] | None = None) -> alert_channel.AlertChannel:
        return self.channels.create(
            self.org,
            name=f"mail {next(_channel_numbers)}",
            kind=domain.AlertChannelKind.EMAIL,
            target=address,
            events=events or ALL_EVENTS,
        )

    def next_slot(self, *outcomes: str) -> list[domain.Run]:
        """Move to the next minute, let the scheduler write its slots, run them all to the end
        (each taking the next of ``outcomes``); the runs as they ended."""
        self.clock.advance(timedelta(minutes=1))
        self.app.scheduler.tick()
        self.outcomes.extend(outcomes)
        return self.run_due()

    def run_due(self) -> list[domain.Run]:
        """What a worker does, in this thread: claim what is due, execute, finish."""
        finished = []
        for claimed in self.app.queue.claim("test-worker", now=self.clock.now(), limit=100):
            outcome = self.executor.execute(claimed, interrupt=threading.Event())
            assert outcome is not None
            run = self.app.queue.finish(
                claimed.id,
                worker_id="test-worker",
                attempt=claimed.attempt,
                outcome=outcome,
                now=self.clock.now(),
            )
            assert run is not None
            finished.append(run)
        return finished

    def alert(self) -> list[domain.DeliveryRecord | None]:
        """One pass of the alerter: scan, then send what is due."""
        self.alerter.scan_once()
        return self.alerter.deliver_once()

    def deliveries(self) -> list[domain.DeliveryRecord]:
        return self.alerter.store.deliveries(self.org)


def make_app(url: str, clock: FakeClock, **settings: Any) -> App:
    defaults: dict[str, Any] = {"webhook_timeout": timedelta(seconds=30)}
    return App(
        url,
        clock=clock,
        alert_settings=alerts.AlerterSettings(
            outbound_policy=LOCAL_OUTBOUND, **(defaults | settings)
        ),
    )


@pytest.fixture
def clock(t0: datetime) -> FakeClock:
    # On a minute boundary plus a few seconds, so "* * * * *" slots are easy to reason about.
    return FakeClock(t0.replace(second=5, microsecond=0))


@pytest.fixture
def harness(database_url: str, clock: FakeClock) -> Iterator[Harness]:
    app = make_app(database_url, clock)
    yield Harness(app, clock)
    app.alerter.stop()
    app.close()
