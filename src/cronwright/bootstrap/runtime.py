"""One cronwright process, built from :class:`~cronwright.settings.Settings` for its role.

- ``serve``: API + scheduler + workers + reaper, migrating the database itself (one machine);
- ``scheduler``: the scheduler loop and history pruning;
- ``worker``: the worker pool and the reaper;
- ``api``: the HTTP API.

Any number of each may run against one PostgreSQL database. :meth:`Runtime.run` owns the
signals: the first SIGINT/SIGTERM stops scheduling and claiming, lets runs in flight finish within
the shutdown grace, releases the rest and returns :data:`EXIT_OK`; a second one exits at once
with 128 + the signal number (130 for SIGINT, 143 for SIGTERM). See ``docs/operations.md``.

The API application is handed in by the caller (:class:`ApiFactory`): it belongs to a layer
above this one.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import FrameType
from typing import Any, Protocol

import prometheus_client
from prometheus_client import CollectorRegistry

from cronwright import actions, errors, outbound, service
from cronwright import settings as settings_module
from cronwright.bootstrap import demo, logs, monitor, node
from cronwright.bootstrap import errors as startup
from cronwright.bootstrap import http_server as http_module
from cronwright.bootstrap import metrics as metrics_module
from cronwright.bootstrap import root as root_module
from cronwright.engine import alerts, loop
from cronwright.engine import scheduler as scheduler_module
from cronwright.engine.delivery import smtp_mail
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import diagnosis

log = logging.getLogger("cronwright.runtime")

EXIT_OK = startup.EXIT_OK
METRICS_REFRESH = timedelta(seconds=10)


class Role(StrEnum):
    SERVE = "serve"
    SCHEDULER = "scheduler"
    WORKER = "worker"
    API = "api"

    @property
    def schedules(self) -> bool:
        return self in (Role.SERVE, Role.SCHEDULER)

    @property
    def works(self) -> bool:
        return self in (Role.SERVE, Role.WORKER)

    @property
    def serves_http(self) -> bool:
        return self in (Role.SERVE, Role.API)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiApp:
    asgi: Any  # the ASGI application
    registry: CollectorRegistry  # where /metrics reads from; the engine's metrics join it
    close: Callable[[], None] = lambda: None


class ApiFactory(Protocol):
    """The API over the process's composition root: its engine, clocks and loops."""

    def __call__(self, settings: settings_module.Settings, root: root_module.Root, /) -> ApiApp: ...


def load_python_modules(names: list[str], functions: actions.PythonFunctions) -> None:
    """Import each module and call its ``register(functions)``: operator code, named in the
    settings, never API input."""
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise startup.ConfigError(
                f"{settings_module.env_name('python_modules')}: cannot import {name!r} ({exc})"
            ) from None
        register = getattr(module, "register", None)
        if not callable(register):
            raise startup.ConfigError(
                f"{settings_module.env_name('python_modules')}: {name!r} has no register(functions)"
            )
        register(functions)


def check_schema(url: str) -> None:
    """Cluster roles never migrate (many processes would race): they refuse an old schema."""
    at, head = migrations.current(url), migrations.head()
    if at != head:
        raise startup.StartupError(
            f"the database is at revision {at or 'base'}, this version needs {head}: "
            "run `cronwright db upgrade` first"
        )


@dataclass
class Runtime:
    settings: settings_module.Settings
    role: Role
    store: sql_catalog.SqlCatalog
    root: root_module.Root
    node: node.Node
    registry: actions.ActionRegistry
    metrics: metrics_module.EngineMetrics
    api: http_module.ApiServer | None = None
    api_close: Callable[[], None] = lambda: None
    seeded: demo.Seeded | None = None
    _loops: list[loop.Loop] = field(default_factory=list)
    _metrics_server: Any = None

    @classmethod
    def build(
        cls,
        settings: settings_module.Settings,
        role: Role,
        *,
        api_factory: ApiFactory | None = None,
        demo_mode: bool = False,
    ) -> Runtime:
        if role.serves_http and api_factory is None:
            raise ValueError(f"the {role.value} role needs an api_factory")
        root = _open_database(settings.database_url, role)
        store, service_clock = root.store, root.clock()
        functions = actions.PythonFunctions()
        modules = settings.python_module_names + ([demo.MODULE] if demo_mode else [])
        load_python_modules(modules, functions)
        registry = actions.default_registry(functions)

        api_app: ApiApp | None = None
        if api_factory is not None and role.serves_http:
            api_app = api_factory(settings, root)
        engine_metrics = metrics_module.EngineMetrics(
            api_app.registry if api_app is not None else CollectorRegistry()
        )
        alerter = None
        if role.schedules:  # any process may alert; the schedulers' hosts do
            alerter = node.build_alerter(
                store.engine,
                root.clock(),
                alert_settings(settings),
                on_sent=lambda kind: engine_metrics.alerts_sent.labels(kind.value).inc(),
            )
        runtime = cls(
            settings=settings,
            role=role,
            store=store,
            root=root,
            node=node.Node(
                root,
                registry,
                run_scheduler=role.schedules,
                run_workers=role.works,
                alerter=alerter,
                worker_options=node.WorkerOptions(
                    concurrency=settings.worker_concurrency,
                    lease=settings.lease,
                    heartbeat=settings.heartbeat,
                    poll_interval=settings.poll_interval,
                    idle_poll_interval=settings.idle_poll_interval,
                    shutdown_grace=settings.shutdown_grace,
                    global_max_concurrent_runs=settings.global_max_concurrent_runs,
                ),
                scheduler_settings=scheduler_module.SchedulerSettings(
                    lookahead=settings.lookahead, max_poll=settings.tick_interval
                ),
                listeners=[engine_metrics],
                functions=functions,
                heap_settle_interval=settings.heap_settle_interval,
            ),
            registry=registry,
            metrics=engine_metrics,
        )
        node.install_actions(
            registry,
            store,
            runtime.node.slots,
            service_clock,
            allow_shell=settings.shell_actions,
            outbound_policy=settings.outbound_policy,
            shell_gate=settings.shell_gate,
        )
        if settings.shell_actions and role.works and settings.shell_gate.is_empty:
            log.warning(
                "shell steps are allowed on this host but for no organization: list them in %s",
                settings_module.env_name("shell_organizations"),
            )
        if api_app is not None:
            runtime.api_close = api_app.close
            runtime.api = http_module.ApiServer(
                api_app.asgi,
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.value,
            )
        if demo_mode:
            base_url = runtime.api.url if runtime.api is not None else ""
            services = service.Service.build(
                store,
                service_clock,
                check_config=registry.check_config,
                retry_defaults=settings.retry_defaults,
            )
            kinds = registry.kinds
            if not _may_reach(settings.outbound_policy, base_url):
                kinds -= {"http"}  # its health check calls this API, which the policy refuses
            runtime.seeded = demo.seed(store, services, base_url=base_url, kinds=kinds)
        return runtime

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        sampler = monitor.Sampler(
            self.node.queue,
            self.node.clocks(),
            scheduler=self.node.scheduler,
            worker=self.node.worker,
        )
        self._loops = [
            monitor.periodic(
                "stats",
                self.settings.stats_interval,
                lambda: monitor.stats_line(sampler),
                self.root.clock(),
            ),
        ]
        exposed = self.role.serves_http or self.settings.metrics_port is not None
        if exposed and self.node.scheduler is not None:
            self.metrics.watch_scheduler(self.node.scheduler.stats)
        if exposed:
            self.metrics.watch_loops(self.root.loops.health)
        if exposed:  # nobody reads the gauges otherwise: spare the database the queries
            self._loops.append(
                monitor.periodic(
                    "metrics",
                    METRICS_REFRESH,
                    lambda: self.metrics.refresh(sampler.counts()),
                    self.root.clock(),
                    at_start=True,
                )
            )
        if self.role.schedules:
            self._loops.append(
                monitor.periodic(
                    "retention", self.settings.retention_interval, self._prune, self.root.clock()
                )
            )
        if not self.role.serves_http and self.settings.metrics_port is not None:
            self._metrics_server, _ = prometheus_client.start_http_server(
                self.settings.metrics_port, self.settings.host, registry=self.metrics.registry
            )
        self.node.start()
        if self.api is not None:
            self.api.start()
        for periodic in self._loops:
            self.root.loops.add(periodic)
            periodic.start()

    def stop(self) -> None:
        """Stop taking work, let runs in flight finish within the grace, release the rest."""
        for periodic in self._loops:
            periodic.stop()
        if self.api is not None:
            self.api.stop()
        self.node.stop()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
        self.api_close()
        self.store.close()

    def run(self, *, on_ready: Callable[[Runtime], None] | None = None) -> int:
        """Start, wait for SIGINT/SIGTERM, stop gracefully; the exit code."""
        stopping = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if stopping.is_set():
                # A second signal: the operator does not want to wait for the drain.
                os.write(2, f"received {name} again: exiting now\n".encode())
                os._exit(128 + signum)
            stopping.set()  # before saying so: a second signal sent on seeing the line finds it
            log.info(
                "received %s: draining (up to %s; %s again to exit now)",
                name,
                _duration(self.settings.shutdown_grace),
                name,
            )

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            if on_ready is not None:
                on_ready(self)
            log.info(
                "%s running", self.role.value, extra={"event": "ready", "role": self.role.value}
            )
            while not stopping.wait(0.5):
                if self.api is not None and not self.api.is_alive():
                    log.error("the HTTP server stopped; shutting down")
                    stopping.set()
            self.stop()
            log.info("stopped", extra={"event": "stopped"})
            return EXIT_OK
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            sys.stderr.flush()

    def _prune(self) -> None:
        retention = service.Retention(
            max_age=self.settings.retention_max_age,
            keep_per_schedule=self.settings.retention_keep_per_schedule,
        )
        if retention.max_age is None and retention.keep_per_schedule is None:
            return
        pruned = service.Runs(self.store, self.node.clocks()).prune(retention)
        if pruned:
            log.info("pruned %d finished run(s) past retention", pruned, extra={"pruned": pruned})


def _open_database(url: str, role: Role) -> root_module.Root:
    """The process's composition root (engine, store, clocks); ``serve`` migrates first."""
    try:
        diagnosis.check_url(url)
        if role is Role.SERVE:
            migrations.upgrade(url)
        else:
            check_schema(url)
        root = root_module.Root.open(url)
        root.clock()  # on PostgreSQL: the first reading of the database's clock
        return root
    except startup.StartupError:
        raise
    except errors.InvalidInput as exc:
        raise startup.ConfigError(str(exc)) from None
    except errors.DuplicateNames as exc:  # the whole list: the operator resolves each
        raise startup.StartupError(str(exc)) from None
    except Exception as exc:  # the driver's errors vary; all mean "cannot use the database"
        explained = diagnosis.explain(exc, url)
        raise startup.StartupError(
            explained or f"cannot open the database: {_first_line(exc)}"
        ) from None


def alert_settings(settings: settings_module.Settings) -> alerts.AlerterSettings:
    password = settings.smtp_password
    return alerts.AlerterSettings(
        smtp=smtp_mail.SmtpSettings(
            host=settings.smtp_host or "localhost",
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            tls=smtp_mail.SmtpTls(settings.smtp_tls),
            allow_plaintext_auth=settings.smtp_allow_plaintext_auth,
            ca_file=settings.smtp_ca_file,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
        ),
        outbound_policy=settings.outbound_policy,
    )


def _may_reach(policy: outbound.OutboundPolicy, url: str) -> bool:
    try:
        policy.check_url(url)
    except outbound.OutboundRefused:
        return False
    return True


def configure_logging(settings: settings_module.Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)


def _duration(value: timedelta) -> str:
    return f"{value.total_seconds():g}s"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
