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
from cronwright.actions.shell import ShellGate
from cronwright.engine import alerts
from cronwright.service import alert_channels, triggers
from cronwright.service import templates as service_templates
from cronwright.store import alert_channels as store_alert_channels
from cronwright.store import queue, scheduling, sql
from cronwright.store import templates as store_templates


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    service: service.Service
    alert_channels: alert_channels.AlertChannels
    triggers: triggers.Triggers
    templates: service_templates.Templates
    queue: queue.RunQueue
    alerter: alerts.Alerter  # for test alerts; its loop runs elsewhere (App, the service runtime)
    clock: clock_module.Clock
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
        shell_gate: ShellGate | None = None,
    ) -> Container:
        """The API over the database at ``url`` (already migrated to the newest schema);
        ``alert_settings`` say how test alerts are sent (SMTP server, timeouts, the outbound
        policy, which webhooks are also checked against when saved);
        ``check_config`` validates step configs on save (``actions.config_checker``);
        ``retry_defaults`` fill the retry fields a new schedule leaves out; ``shell_gate``
        names the organizations that may save shell steps (None: any, when shell is allowed)."""
        store = sql.SqlStore.from_url(url)
        chosen = clock or clock_module.SystemClock()
        alerting = alert_settings or alerts.AlerterSettings()

        def check_database() -> None:
            with store.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))

        built = service.Service.build(
            store,
            chosen,
            check_config=check_config,
            retry_defaults=retry_defaults,
            shell_gate=shell_gate,
        )
        return cls(
            service=built,
            templates=service_templates.Templates(
                built.workflows,
                built.schedules,
                store_templates.SqlTemplates(store.engine),
                chosen,
            ),
            alert_channels=alert_channels.AlertChannels(
                store_alert_channels.SqlAlertChannels(store.engine),
                chosen,
                outbound_policy=alerting.outbound_policy,
            ),
            triggers=triggers.Triggers(store, scheduling.SqlSlotStore(store.engine), chosen),
            queue=queue.SqlRunQueue(store.engine),
            alerter=alerts.Alerter.from_engine(store.engine, chosen, alerting),
            clock=chosen,
            check_database=check_database,
            close=store.close,
        )
