"""The engine's moving parts in one process: scheduler loop, worker pool, reaper, alerter,
wake-ups.

Shared by ``cronwright serve``/``scheduler``/``worker`` (:mod:`cronwright.bootstrap.runtime`)
and the embeddable :class:`~cronwright.App`: which parts a process runs is a choice, how they are
wired (who wakes whom, which clock) is decided here once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from cronwright import actions, clock, domain, outbound
from cronwright.actions import shell
from cronwright.bootstrap import root as root_module
from cronwright.engine import alerts, executor, heap, loop, reaper, scheduler, worker, writer
from cronwright.engine.delivery import Sender, smtp_mail, webhook
from cronwright.service import chains
from cronwright.store import contracts
from cronwright.store.alerts import alert_ledger as alert_store
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import dialect
from cronwright.store.run_queue import wakeups

log = logging.getLogger(__name__)

ClockFactory = root_module.ClockFactory


def capabilities_of(
    registry: actions.ActionRegistry, functions: actions.PythonFunctions
) -> domain.Capabilities:
    """What a worker on ``registry`` can execute: its runnable kinds, its python functions."""
    return domain.Capabilities(kinds=registry.runnable_kinds, python_functions=functions.names())


def loop_report(loops: loop.Loops) -> domain.JsonValue:
    """The health of a process's loops as JSON, for its worker's registry row."""
    return [
        {
            "name": health.name,
            "state": health.state.value,
            "failures": health.failures,
            "last_success_at": None
            if health.last_success_at is None
            else health.last_success_at.isoformat(),
            "last_error": health.last_error,
        }
        for health in loops.health()
    ]


def install_actions(
    registry: actions.ActionRegistry,
    store: sql_catalog.SqlCatalog,
    slots: contracts.SlotLedger,
    clock: clock.Clock,
    *,
    allow_shell: bool,
    outbound_policy: outbound.OutboundPolicy | None = None,
    shell_gate: shell.ShellGate | None = None,
) -> None:
    """Every kind beyond ``python``: ``http`` (under ``outbound_policy``), ``shell`` (refused
    unless allowed; then for the organizations ``shell_gate`` lets through), ``trigger``. Where
    shell steps may run, this process's environment is hidden from them."""
    if allow_shell and not shell.hide_process_environment():
        log.warning("shell steps can read this process's environment through /proc")
    actions.install_default_actions(
        registry,
        allow_shell=allow_shell,
        trigger_port=chains.ChainStarter(store, slots, clock),
        outbound_policy=outbound_policy,
        shell_gate=None if shell_gate is None else shell_gate.with_names(_name_of(store)),
    )


def _name_of(store: sql_catalog.SqlCatalog) -> Callable[[domain.OrganizationId], str]:
    return lambda org_id: store.get_organization(org_id).name


def build_alerter(
    engine: Engine,
    clock: clock.Clock,
    settings: alerts.AlerterSettings | None = None,
    *,
    on_sent: Callable[[domain.AlertChannelKind], None] | None = None,
) -> alerts.Alerter:
    """An alerter with webhook and SMTP senders; ``on_sent`` hears of each delivery sent."""
    chosen = settings or alerts.AlerterSettings()
    senders: dict[domain.AlertChannelKind, Sender] = {
        domain.AlertChannelKind.WEBHOOK: webhook.WebhookSender(
            timeout=chosen.webhook_timeout, policy=chosen.outbound_policy
        ),
        domain.AlertChannelKind.EMAIL: smtp_mail.EmailSender(chosen.smtp),
    }
    if on_sent is not None:
        senders = {kind: _Counted(kind, sender, on_sent) for kind, sender in senders.items()}
    return alerts.Alerter(alert_store.SqlAlertLedger(engine), clock, senders, chosen)


@dataclass(frozen=True, slots=True)
class _Counted:
    kind: domain.AlertChannelKind
    sender: Sender
    on_sent: Callable[[domain.AlertChannelKind], None]

    def send(self, delivery: domain.OutgoingDelivery, *, now: datetime) -> None:
        self.sender.send(delivery, now=now)  # raises when not delivered: nothing to count
        self.on_sent(self.kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    concurrency: int = worker.DEFAULT_CONCURRENCY
    lease: timedelta = contracts.DEFAULT_LEASE
    heartbeat: timedelta = worker.DEFAULT_HEARTBEAT
    poll_interval: timedelta = worker.DEFAULT_POLL_INTERVAL
    idle_poll_interval: timedelta = worker.DEFAULT_IDLE_POLL_INTERVAL
    shutdown_grace: timedelta = worker.DEFAULT_SHUTDOWN_GRACE
    global_max_concurrent_runs: int | None = None
    # Claim runs this long before their time and start them at it (0: claim when due).
    claim_ahead: timedelta = worker.DEFAULT_CLAIM_AHEAD
    hold: int = worker.DEFAULT_HOLD  # runs held ahead of their time, at most


class Node:
    """Builds the parts asked for; :meth:`start` and :meth:`stop` run whichever are set, so a
    caller may replace one (a reaper on a shorter interval, say) before starting."""

    def __init__(
        self,
        root: root_module.Root,
        registry: actions.ActionRegistry,
        *,
        run_scheduler: bool = True,
        run_workers: bool = True,
        alerter: alerts.Alerter | None = None,
        worker_options: WorkerOptions | None = None,
        scheduler_settings: scheduler.SchedulerSettings | None = None,
        listeners: Sequence[worker.RunListener] = (),
        functions: actions.PythonFunctions | None = None,
        heap_settle_interval: timedelta | None = heap.DEFAULT_INTERVAL,
    ) -> None:
        """``functions``: the python functions behind ``registry``'s ``python`` kind; with them
        the workers advertise what they can execute and claim only what they can (capability
        routing); without, they claim anything.
        ``heap_settle_interval``: how often the process's heap is settled (see
        :mod:`cronwright.engine.heap`); None: never."""
        options = worker_options or WorkerOptions()
        engine = root.engine
        self.root = root
        self.engine = engine
        self.clocks = root.clocks
        self.queue = root.run_queue(
            global_max_concurrent_runs=options.global_max_concurrent_runs,
            on_pending=self.wake_workers,
        )
        self.slots = root.slot_ledger(on_pending=self.wake_workers)
        self.scheduler: scheduler.Scheduler | None = None
        if run_scheduler:
            self.scheduler = scheduler.Scheduler(self.slots, self.clocks(), scheduler_settings)
        self.worker: worker.Worker | None = None
        self.reaper: reaper.Reaper | None = None
        self.heap: heap.HeapSettler | None = None
        if heap_settle_interval is not None:
            self.heap = heap.HeapSettler(
                self.clocks(), interval=heap_settle_interval, quiet=self._quiet
            )
        if run_workers:
            worker_clock = self.clocks()
            writes = writer.GroupCommitWriter(self.queue)  # step records and finishes, batched
            self.worker = worker.Worker(
                self.queue,
                executor.Executor(registry, worker_clock, writes),
                worker_clock,
                concurrency=options.concurrency,
                writer=writes,
                lease=options.lease,
                heartbeat=options.heartbeat,
                poll_interval=options.poll_interval,
                idle_poll_interval=options.idle_poll_interval,
                shutdown_grace=options.shutdown_grace,
                listeners=listeners,
                capabilities=None
                if functions is None
                else lambda: capabilities_of(registry, functions),
                report=lambda: loop_report(root.loops),
                claim_ahead=options.claim_ahead,
                hold=options.hold,
                on_held=None if self.heap is None else self.heap.freeze,
                collector=self.heap,
            )
            self.reaper = reaper.Reaper(self.queue, self.clocks(), live_window=options.lease)
        self.alerter = alerter
        self._listener: wakeups.PostgresListener | None = None

    def _quiet(self, within: timedelta) -> bool:
        return self.worker is None or self.worker.quiet(within)

    def wake_workers(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def loops(self) -> list[loop.Loop]:
        """The periodic loops of the parts this node runs."""
        found: list[loop.Loop] = []
        if self.scheduler is not None:
            found.append(self.scheduler.loop)
        if self.worker is not None:
            found.append(self.worker.heartbeats)
        if self.reaper is not None:
            found.append(self.reaper.loop)
        if self.alerter is not None:
            found.append(self.alerter.loop)
        if self.heap is not None:
            found.append(self.heap.loop)
        return found

    def start(self) -> None:
        for part in self.loops():  # (a part may have been replaced since the node was built)
            self.root.loops.add(part)
        if self.worker is not None:
            self.worker.start()
            if dialect.capabilities_of(self.engine).notifications:
                # Other processes' NOTIFYs; on SQLite every writer is in this process.
                self._listener = wakeups.PostgresListener(self.engine, self.wake_workers).start()
        if self.reaper is not None:
            self.reaper.start()
        if self.alerter is not None:
            self.alerter.start()
        if self.scheduler is not None:
            self.scheduler.start()
        if self.heap is not None:
            self.heap.loop.start()

    def stop(self, grace: timedelta | None = None) -> None:
        """Stop scheduling and claiming; let runs in flight finish within ``grace`` (default:
        the worker's shutdown grace), release the rest."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self.worker is not None:
            self.worker.stop(grace)
        if self.reaper is not None:
            self.reaper.stop()
        if self.alerter is not None:
            self.alerter.stop()
        if self.heap is not None:
            self.heap.loop.stop()
            self.heap.release()
