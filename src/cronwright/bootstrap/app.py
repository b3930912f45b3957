"""``cronwright.App``: the embeddable form. Register Python functions, schedule them, run.

    app = App("sqlite:///app.db")

    @app.action("report")
    def report(ctx): ...

    app.schedule("nightly report", "0 2 * * *", action="report", timezone="Europe/Paris")
    app.run()  # scheduler + workers + reaper + alerter until SIGINT/SIGTERM (twice: at once)

Schedules live in the database in a default organization, as one-step ``python`` workflows;
:meth:`App.schedule` is an idempotent upsert, so running the same script again changes nothing,
and editing a call edits the schedule (a new version). Several processes may run the same app
against one PostgreSQL database: each slot still runs once.

Each run's start and finish, and the error of a failed attempt, are logged through Python's
``logging`` (logger ``cronwright``); a program that configured no logging sees them on stderr,
one that did gets the levels it set (run lines are INFO, failures WARNING).
``App(quiet=True)`` leaves logging alone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any, TypeVar

import pydantic

from cronwright import actions, clock, domain, errors, outbound, service, templates
from cronwright import settings as settings_module
from cronwright.bootstrap import node, root
from cronwright.engine import alerts, heap, loop, reaper, scheduler, worker
from cronwright.service import alert_channels, schedules, validation
from cronwright.service import templates as service_templates
from cronwright.store import contracts, migrations
from cronwright.store.catalog import alert_channels as store_alert_channels
from cronwright.store.catalog import templates as store_templates
from cronwright.store.database import dialect
from cronwright.store.run_queue import sql_queue

_SIGNAL_CHECK = 0.2  # seconds: how long a signal may wait for the main thread
log = logging.getLogger(__name__)

DEFAULT_ORGANIZATION = "default"
AUTHOR = "app"
_STEP_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_NOT_POLICIES = frozenset({"workflow_id", "name", "cron", "timezone", "input"})
_DURATIONS = frozenset(
    field.name
    for field in dataclasses.fields(domain.ScheduleSpec)
    if isinstance(field.default, timedelta)
)
_DURATION = pydantic.TypeAdapter(settings_module.Duration)
_FAILED = frozenset({domain.RunState.FAILED, domain.RunState.TIMED_OUT})
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

F = TypeVar("F", bound=Callable[..., Any])
Duration = timedelta | str | float


class App:
    def __init__(
        self,
        database_url: str = dialect.DEFAULT_URL,
        *,
        organization: str = DEFAULT_ORGANIZATION,
        concurrency: int = worker.DEFAULT_CONCURRENCY,
        global_max_concurrent_runs: int | None = None,
        lease: Duration = contracts.DEFAULT_LEASE,
        heartbeat: Duration = worker.DEFAULT_HEARTBEAT,
        poll_interval: Duration = worker.DEFAULT_POLL_INTERVAL,
        shutdown_grace: Duration = worker.DEFAULT_SHUTDOWN_GRACE,
        clock: clock.Clock | None = None,
        migrate: bool = True,
        allow_shell: bool = False,
        outbound_policy: outbound.OutboundPolicy | None = None,
        alert_settings: alerts.AlerterSettings | None = None,
        retry_defaults: domain.RetryDefaults | None = None,
        max_schedules: int | None = None,
        max_concurrent_runs: int | None = None,
        quiet: bool = False,
        settle_heap: bool = True,
    ) -> None:
        """``clock``: one clock for every loop (tests); by default each loop gets its own
        clock (the database's on PostgreSQL, the system's on SQLite), so a wake-up meant for
        the workers never cuts the scheduler's sleep.
        ``allow_shell``: let workflows run ``shell`` steps on this process's host.
        ``outbound_policy``: where ``http`` steps and webhooks may connect (None: global
        addresses only; ``OutboundPolicy.parse("127.0.0.1")`` adds this host, say).
        ``alert_settings``: SMTP server, rate limit and retries of the alerter (None: defaults).
        ``retry_defaults``: the retry policy of schedules created without one (None: 3 attempts,
        5 s doubling up to 10 min); schedules that exist keep theirs.
        ``max_schedules``, ``max_concurrent_runs``: the organization's quotas (None: keep them;
        a new organization starts with the service's defaults, 1,000 schedules).
        ``quiet``: do not log each run (see the module's doc).
        ``settle_heap``: freeze the process's heap once warm and collect it every 10 minutes,
        keeping the garbage collector's pauses off run starts (:mod:`cronwright.engine.heap`);
        False for a process that manages :func:`gc.freeze` itself.
        Durations are a ``timedelta``, seconds, or text as in the settings (``"30s"``, ``"5m"``)."""
        self._names: dict[domain.ScheduleId, str] = {}
        if not quiet:
            _show_run_logs()
        if migrate:
            migrations.upgrade(database_url)
        alerting = _with_policy(alert_settings, outbound_policy)  # one policy for every request
        # Engine, store and clocks from the composition root: the database's clock on
        # PostgreSQL, whatever the host's clock says.
        self.root = root.Root.open(database_url, clock=clock)
        self._engine = self.root.engine
        self.functions = actions.PythonFunctions()
        self.registry = actions.default_registry(self.functions)
        self.store = self.root.store
        self._node = node.Node(
            self.root,
            self.registry,
            worker_options=node.WorkerOptions(
                concurrency=concurrency,
                lease=_duration("lease", lease),
                heartbeat=_duration("heartbeat", heartbeat),
                poll_interval=_duration("poll_interval", poll_interval),
                shutdown_grace=_duration("shutdown_grace", shutdown_grace),
                global_max_concurrent_runs=global_max_concurrent_runs,
            ),
            alerter=node.build_alerter(self._engine, self._clock(), alerting),
            listeners=[] if quiet else [_FailureLog(self._names)],
            functions=self.functions,
            heap_settle_interval=heap.DEFAULT_INTERVAL if settle_heap else None,
        )
        node.install_actions(
            self.registry,
            self.store,
            self._node.slots,
            self._clock(),
            allow_shell=allow_shell,
            outbound_policy=alerting.outbound_policy,
        )
        self.service = service.Service.build(
            self.store,
            self._clock(),
            check_config=self.registry.check_config,
            retry_defaults=retry_defaults,
        )
        self.organization = self._organization(organization)
        if max_schedules is not None or max_concurrent_runs is not None:
            self.organization = self.service.organizations.set_quotas(
                self.organization.id,
                max_schedules=(
                    self.organization.max_schedules if max_schedules is None else max_schedules
                ),
                max_concurrent_runs=(
                    self.organization.max_concurrent_runs
                    if max_concurrent_runs is None
                    else max_concurrent_runs
                ),
            )
        self.alert_channels = alert_channels.AlertChannels(
            store_alert_channels.SqlAlertChannels(self._engine),
            self._clock(),
            outbound_policy=alerting.outbound_policy,
        )
        self.templates = service_templates.Templates(
            self.service.workflows,
            self.service.schedules,
            store_templates.SqlTemplates(self._engine),
            self._clock(),
        )
        self._stop_requested = threading.Event()

    # -- the engine's parts (built and wired by bootstrap.node) -----------------------------------

    @property
    def queue(self) -> sql_queue.SqlRunQueue:
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
        ``max_attempts``, ``timeout``, ``misfire_grace``, ``catchup``, ``jitter``...; durations
        are a ``timedelta`` or spelt as in the settings: seconds, ``"30s"``, ``"5m"``,
        ``"1h30m"`` or ISO-8601 (``"PT30S"``)."""
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
            **schedules.coerce_policies(_durations(policies)),
        }
        existing = self._find_schedule(name)
        if existing is None:
            spec = self.service.schedules.new_spec(name=name, **wanted)
            created = self.service.schedules.create(org_id, spec, author=AUTHOR)
            self._names[created.id] = created.spec.name
            self.scheduler.wake()
            return created
        self._names[existing.id] = existing.spec.name
        if validation.normalize(existing.spec.replace(**wanted)) == existing.spec:
            return existing  # the same script run again: nothing to read twice or write
        updated = self.service.schedules.update(org_id, existing.id, wanted, author=AUTHOR)
        self._names[updated.id] = updated.spec.name
        if updated.version != existing.version:
            self.scheduler.wake()
        return updated

    def schedule_template(
        self,
        name: str,
        template: str,
        *,
        parameters: dict[str, Any] | None = None,
        version: int | None = None,
    ) -> domain.Schedule:
        """Create the schedule ``name`` (and its workflow, of the same name) from a template
        (``docs/templates.md``), or bring an existing one in line with the template and these
        values: like :meth:`schedule`, running the same script again changes nothing."""
        org_id = self.organization.id
        given = dict(parameters or {})
        existing = self._find_schedule(name)
        if existing is None:
            made = self.templates.instantiate(
                org_id, template, schedule_name=name, parameters=given, version=version,
                author=AUTHOR,
            )  # fmt: skip
            self.scheduler.wake()
            return made.schedule
        entry = self.templates.get(org_id, template, version=version)
        rendered = self.templates.preview(org_id, template, parameters=given, version=version)
        workflow = self.service.workflows.get(org_id, existing.spec.workflow_id)
        if (
            workflow.definition.to_json()
            != self.service.workflows.parse(rendered.workflow).to_json()
        ):
            self.service.workflows.update(org_id, workflow.id, definition=rendered.workflow)
        fields = templates.spec_fields(rendered.schedule)
        updated = self.service.schedules.update(org_id, existing.id, fields, author=AUTHOR)
        self.templates.record(org_id, existing.id, entry, rendered.values)
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
        """Start, block until SIGINT or SIGTERM (or :meth:`request_stop`), stop gracefully:
        runs in flight get the shutdown grace to finish. A second SIGINT or SIGTERM ends the
        process at once with status 128 + the signal number (130 for Ctrl-C), as ``serve``."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            try:
                self.start()
                # Short waits: CPython runs a signal's handler when the main thread next runs
                # Python code, and a signal the kernel gave another thread does not wake a main
                # thread blocked in one long wait.
                while not self._stop_requested.wait(_SIGNAL_CHECK):
                    pass
            finally:
                # The drain on a thread of its own, for the same reason: a second signal ends the
                # process at once, whatever the drain waits for.
                drain = threading.Thread(target=self.stop, name="cronwright-drain", daemon=True)
                drain.start()
                while drain.is_alive():
                    drain.join(_SIGNAL_CHECK)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def health(self) -> list[loop.LoopHealth]:
        """The state of each of this app's loops (scheduler, heartbeat, reaper, alerter):
        ``ok``, ``failing`` (with the last error), ``stalled`` or ``stopped``."""
        return self.root.loops.health()

    def request_stop(self) -> None:
        self._stop_requested.set()

    def close(self) -> None:
        self._engine.dispose()

    # -- helpers ----------------------------------------------------------------------------------

    def _clock(self) -> clock.Clock:
        return self.root.clock()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self._stop_requested.is_set():
            # A second signal: the person at the terminal does not want to wait for the drain.
            os.write(2, f"received {name} again: exiting now\n".encode())
            os._exit(128 + signum)
        # Set before saying so: a second signal sent on seeing the line must find it set.
        self._stop_requested.set()
        log.info("received %s: stopping (%s again to exit now)", name, name)

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


def _durations(policies: dict[str, Any]) -> dict[str, Any]:
    """Duration policies given as text or seconds, as the settings read them, to timedelta."""
    read = dict(policies)
    for name in _DURATIONS & read.keys():
        read[name] = _duration(name, read[name])
    return read


def _duration(name: str, value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return _DURATION.validate_python(value)
    except pydantic.ValidationError:
        raise errors.InvalidInput(
            field=name,
            message=f"{value!r} is not a duration; write seconds, 30s, 5m, 1h30m, "
            "a timedelta or ISO-8601 like PT30S",
        ) from None


def _show_run_logs() -> None:
    """A program that configured no logging sees cronwright's lines from INFO on stderr; one
    that did (a handler on the root or on ``cronwright``, or a level for ``cronwright``) gets
    the levels it set: ``basicConfig(level=logging.WARNING)`` means no line per run."""
    package = logging.getLogger("cronwright")
    if logging.getLogger().handlers or package.handlers or package.level != logging.NOTSET:
        return
    package.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    package.addHandler(handler)


class _FailureLog:
    """Logs why an attempt failed (the worker's own line says only that it did)."""

    def __init__(self, names: dict[domain.ScheduleId, str]) -> None:
        self._names = names

    def run_started(self, run: domain.Run, lag: timedelta) -> None:
        pass

    def run_finished(self, run: domain.Run, state: domain.RunState, duration: timedelta) -> None:
        if state not in _FAILED:
            return
        schedule = self._names.get(run.schedule_id) if run.schedule_id is not None else None
        retry = " (will retry)" if run.state is domain.RunState.PENDING else ""
        log.warning(
            "run %s%s attempt %d %s%s: %s",
            run.id,
            f" of {schedule!r}" if schedule else "",
            run.attempt,
            state.value,
            retry,
            run.error or "no error recorded",
        )


def _with_policy(
    settings: alerts.AlerterSettings | None, policy: outbound.OutboundPolicy | None
) -> alerts.AlerterSettings:
    """The alert settings with the app's outbound policy, when it names one."""
    chosen = settings or alerts.AlerterSettings()
    return chosen if policy is None else dataclasses.replace(chosen, outbound_policy=policy)
