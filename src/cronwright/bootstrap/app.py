"""``cronwright.App``: the embeddable form. Register Python functions, schedule them, run.

    app = App("sqlite:///app.db")

    @app.action("report")
    def report(ctx): ...

    app.schedule("nightly report", "0 2 * * *", action="report", timezone="Europe/Paris")
    app.run()  # scheduler + workers + reaper + alerter until SIGINT/SIGTERM

Schedules live in the database in a default organization, as one-step ``python`` workflows;
:meth:`App.schedule` is an idempotent upsert, so running the same script again changes nothing,
and editing a call edits the schedule (a new version). Several processes may run the same app
against one PostgreSQL database: each slot still runs once.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any, TypeVar

from cronwright import actions, clock, domain, errors, service
from cronwright.bootstrap import node
from cronwright.engine import alerts, reaper, scheduler, worker
from cronwright.service import alert_channels, schedules
from cronwright.store import alert_channels as store_alert_channels
from cronwright.store import dialect, migrations, queue, sql

log = logging.getLogger(__name__)

DEFAULT_ORGANIZATION = "default"
AUTHOR = "app"
_STEP_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_NOT_POLICIES = frozenset({"workflow_id", "name", "cron", "timezone", "input"})

F = TypeVar("F", bound=Callable[..., Any])


class App:
    def __init__(
        self,
        database_url: str = dialect.DEFAULT_URL,
        *,
        organization: str = DEFAULT_ORGANIZATION,
        concurrency: int = worker.DEFAULT_CONCURRENCY,
        global_max_concurrent_runs: int | None = None,
        lease: timedelta = queue.DEFAULT_LEASE,
        heartbeat: timedelta = worker.DEFAULT_HEARTBEAT,
        poll_interval: timedelta = worker.DEFAULT_POLL_INTERVAL,
        shutdown_grace: timedelta = worker.DEFAULT_SHUTDOWN_GRACE,
        clock: clock.Clock | None = None,
        migrate: bool = True,
        allow_shell: bool = False,
        alert_settings: alerts.AlerterSettings | None = None,
        retry_defaults: domain.RetryDefaults | None = None,
    ) -> None:
        """``clock``: one clock for every loop (tests); by default each loop gets its own
        system clock, so a wake-up meant for the workers never cuts the scheduler's sleep.
        ``allow_shell``: let workflows run ``shell`` steps on this process's host.
        ``alert_settings``: SMTP server, rate limit and retries of the alerter (None: defaults).
        ``retry_defaults``: the retry policy of schedules created without one (None: 3 attempts,
        5 s doubling up to 10 min); schedules that exist keep theirs."""
        if migrate:
            migrations.upgrade(database_url)
        self._engine = dialect.create_engine(database_url)
        self._clock_override = clock
        self.functions = actions.PythonFunctions()
        self.registry = actions.default_registry(self.functions)
        self.store = sql.SqlStore(self._engine)
        self._node = node.Node(
            self._engine,
            self.registry,
            worker_options=node.WorkerOptions(
                concurrency=concurrency,
                lease=lease,
                heartbeat=heartbeat,
                poll_interval=poll_interval,
                shutdown_grace=shutdown_grace,
                global_max_concurrent_runs=global_max_concurrent_runs,
            ),
            alerter=alerts.Alerter.from_engine(self._engine, self._clock(), alert_settings),
            clocks=self._clock,
        )
        node.install_actions(
            self.registry, self.store, self._node.slots, self._clock(), allow_shell=allow_shell
        )
        self.service = service.Service.build(
            self.store,
            self._clock(),
            check_config=self.registry.check_config,
            retry_defaults=retry_defaults,
        )
        self.organization = self._organization(organization)
        self.alert_channels = alert_channels.AlertChannels(
            store_alert_channels.SqlAlertChannels(self._engine), self._clock()
        )
        self._stop_requested = threading.Event()

    # -- the engine's parts (built and wired by bootstrap.node) -----------------------------------

    @property
    def queue(self) -> queue.SqlRunQueue:
        return self._node.queue

    @property
    def scheduler(self) -> scheduler.Scheduler:
        assert self._node.scheduler is not None  # App always runs every part
        return self._node.scheduler

    @property
    def worker(self) -> worker.Worker:
        assert self._node.worker is not None
        return self._node.worker

    @property
    def reaper(self) -> reaper.Reaper:
        assert self._node.reaper is not None
        return self._node.reaper

    @reaper.setter
    def reaper(self, replacement: reaper.Reaper) -> None:
        """Before :meth:`start`: run another reaper (a shorter interval, say)."""
        self._node.reaper = replacement

    @property
    def alerter(self) -> alerts.Alerter:
        assert self._node.alerter is not None
        return self._node.alerter

    # -- declaring --------------------------------------------------------------------------------

    def action(self, name: str) -> Callable[[F], F]:
        """Register the decorated function (sync or ``async``) as the python action ``name``.
        It is called with a :class:`~cronwright.actions.StepContext` and returns JSON."""

        def register(function: F) -> F:
            self.functions.register(name, function)
            return function

        return register

    def schedule(
        self,
        name: str,
        cron: str,
        *,
        action: str,
        timezone: str = domain.schedule.DEFAULT_TIMEZONE,
        input: domain.JsonObject | None = None,
        **policies: Any,
    ) -> domain.Schedule:
        """Create the schedule ``name``, or bring the existing one in line with these arguments
        (no new version when nothing changed). ``policies`` are schedule fields: ``overlap``,
        ``max_attempts``, ``timeout``, ``misfire_grace``, ``catchup``, ``jitter``..."""
        unknown = sorted(set(policies) - (set(domain.SPEC_FIELDS) - _NOT_POLICIES))
        if unknown:
            raise errors.InvalidInput(field=unknown[0], message="is not a schedule policy")
        org_id = self.organization.id
        name = name.strip()  # as the service stores it
        workflow = self._upsert_workflow(name, action)
        wanted: dict[str, Any] = {
            "workflow_id": workflow.id,
            "cron": cron,
            "timezone": timezone,
            "input": dict(input or {}),
            **schedules.coerce_policies(policies),
        }
        existing = self._find_schedule(name)
        if existing is None:
            spec = self.service.schedules.new_spec(name=name, **wanted)
            created = self.service.schedules.create(org_id, spec, author=AUTHOR)
            self.scheduler.wake()
            return created
        updated = self.service.schedules.update(org_id, existing.id, wanted, author=AUTHOR)
        if updated.version != existing.version:
            self.scheduler.wake()
        return updated

    # -- running ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the scheduler, the workers and the reaper in background threads."""
        self._stop_requested.clear()
        self._node.start()

    def stop(self, grace: timedelta | None = None) -> None:
        """Stop scheduling and claiming; let runs in flight finish within ``grace`` (default:
        the shutdown grace), release the rest."""
        self._node.stop(grace)

    def run(self) -> None:
        """Start, block until SIGINT or SIGTERM (or :meth:`request_stop`), stop gracefully."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.start()
            self._stop_requested.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stop()

    def request_stop(self) -> None:
        self._stop_requested.set()

    def close(self) -> None:
        self._engine.dispose()

    # -- helpers ----------------------------------------------------------------------------------

    def _clock(self) -> clock.Clock:
        return self._clock_override or clock.SystemClock()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        self._stop_requested.set()

    def _organization(self, name: str) -> domain.Organization:
        for found in self.store.list_organizations():
            if found.name == name:
                return found
        try:
            return self.service.organizations.create(name)
        except errors.Conflict:  # another process created it first
            return next(o for o in self.store.list_organizations() if o.name == name)

    def _upsert_workflow(self, name: str, action: str) -> domain.Workflow:
        step = _STEP_NAME_UNSAFE.sub("_", action)[:64]
        definition = {"steps": [{"name": step, "kind": "python", "config": {"function": action}}]}
        org_id = self.organization.id
        workflow = self.store.find_workflow_by_name(org_id, name)
        if workflow is None:
            return self.service.workflows.create(org_id, name=name, definition=definition)
        if workflow.definition.to_json() == self.service.workflows.parse(definition).to_json():
            return workflow
        return self.service.workflows.update(org_id, workflow.id, definition=definition)

    def _find_schedule(self, name: str) -> domain.Schedule | None:
        return self.store.find_schedule_by_name(self.organization.id, name)
