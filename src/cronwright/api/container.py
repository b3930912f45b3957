"""Everything the API needs, built once per process and handed to :func:`create_app`.

Routes reach it through ``app.state`` (see :mod:`cronwright.api.deps`), never through module
globals, so a test builds an app over a SQLite file and a ``FakeClock`` without patching.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cronwright import clock as clock_module
from cronwright import domain, service
from cronwright.actions.shell import ShellGate
from cronwright.bootstrap import node, root
from cronwright.engine import alerts, loop
from cronwright.service import alert_channels, throttle, triggers
from cronwright.service import templates as service_templates
from cronwright.store import contracts


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    service: service.Service
    alert_channels: alert_channels.AlertChannels
    triggers: triggers.Triggers
    templates: service_templates.Templates
    queue: contracts.RunQueue
    alerter: alerts.Alerter  # for test alerts; its loop runs elsewhere (App, the service runtime)
    clock: clock_module.Clock
    throttle: throttle.FailedAuthThrottle  # failed sign-ins, shared by the API and the dashboard
    check_database: Callable[[], None]  # raises when the database cannot answer
    # The health of the process's periodic loops (scheduler, reaper...), for readiness.
    loops: Callable[[], Sequence[loop.LoopHealth]] = lambda: ()
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
        """The API over the database at ``url`` (already migrated to the newest schema), in a
        process of its own (tests, tools): see :meth:`from_root`."""
        opened = root.Root.open(url, clock=clock)
        return cls.from_root(
            opened,
            alert_settings=alert_settings,
            check_config=check_config,
            retry_defaults=retry_defaults,
            shell_gate=shell_gate,
            close=opened.close,
        )

    @classmethod
    def from_root(
        cls,
        process: root.Root,
        *,
        alert_settings: alerts.AlerterSettings | None = None,
        check_config: domain.ConfigCheck | None = None,
        retry_defaults: domain.RetryDefaults | None = None,
        shell_gate: ShellGate | None = None,
        close: Callable[[], None] = lambda: None,
    ) -> Container:
        """The API over the process's composition root: its engine, clock and loops.
        ``alert_settings`` say how test alerts are sent (SMTP server, timeouts, the outbound
        policy, which webhooks are also checked against when saved);
        ``check_config`` validates step configs on save (``actions.config_checker``);
        ``retry_defaults`` fill the retry fields a new schedule leaves out; ``shell_gate``
        names the organizations that may save shell steps (None: any, when shell is allowed)."""
        store = process.store
        chosen = process.clock()
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
                process.template_store(),
                chosen,
            ),
            alert_channels=alert_channels.AlertChannels(
                process.alert_channel_store(), chosen, outbound_policy=alerting.outbound_policy
            ),
            triggers=triggers.Triggers(store, process.slot_ledger(), chosen),
            queue=process.run_queue(),
            alerter=node.build_alerter(store.engine, chosen, alerting),
            clock=chosen,
            throttle=throttle.FailedAuthThrottle(chosen),
            check_database=check_database,
            loops=process.loops.health,
            close=close,
        )
