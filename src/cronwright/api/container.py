"""Everything the API needs, built once per process and handed to :func:`create_app`.

Routes reach it through ``app.state`` (see :mod:`cronwright.api.deps`), never through module
globals, so a test builds an app over a SQLite file and a ``FakeClock`` without patching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from cronwright import clock as clock_module
from cronwright import domain, service
from cronwright.engine import alerts
from cronwright.service import alert_channels, throttle, triggers
from cronwright.store import alert_channels as store_alert_channels
from cronwright.store import queue, scheduling, sql


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    service: service.Service
    alert_channels: alert_channels.AlertChannels
    triggers: triggers.Triggers
    queue: queue.RunQueue
    alerter: alerts.Alerter  # for test alerts; its loop runs elsewhere (App, the service runtime)
    clock: clock_module.Clock
    throttle: throttle.FailedAuthThrottle  # failed sign-ins, shared by the API and the dashboard
    check_database: Callable[[], None]  # raises when the database cannot answer
    close: Callable[[], None] = lambda: None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        clock: clock_module.Clock | None = None,
        alert_settings: alerts.AlerterSettings | None = None,
        check_config: domain.ConfigCheck | None = None,
        retry_defaults: domain.RetryDefaults | None = None,
    ) -> Container:
        """The API over the database at ``url`` (already migrated to the newest schema);
        ``alert_settings`` say how test alerts are sent (SMTP server, timeouts);
        ``check_config`` validates step configs on save (``actions.config_checker``);
        ``retry_defaults`` fill the retry fields a new schedule leaves out."""
        store = sql.SqlStore.from_url(url)
        chosen = clock or clock_module.SystemClock()

        def check_database() -> None:
            with store.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))

        return cls(
            service=service.Service.build(
                store, chosen, check_config=check_config, retry_defaults=retry_defaults
            ),
            alert_channels=alert_channels.AlertChannels(
                store_alert_channels.SqlAlertChannels(store.engine), chosen
            ),
            triggers=triggers.Triggers(store, scheduling.SqlSlotStore(store.engine), chosen),
            queue=queue.SqlRunQueue(store.engine),
            alerter=alerts.Alerter.from_engine(store.engine, chosen, alert_settings),
            clock=chosen,
            throttle=throttle.FailedAuthThrottle(chosen),
            check_database=check_database,
            close=store.close,
        )
