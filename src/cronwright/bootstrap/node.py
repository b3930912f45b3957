"""The engine's moving parts in one process: scheduler loop, worker pool, reaper, alerter,
wake-ups.

Shared by ``cronwright serve``/``scheduler``/``worker`` (:mod:`cronwright.bootstrap.runtime`)
and the embeddable :class:`~cronwright.App`: which parts a process runs is a choice, how they are
wired (who wakes whom, which clock) is decided here once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from cronwright import actions, clock, domain
from cronwright.engine import alerts, executor, reaper, scheduler, worker, writer
from cronwright.engine.delivery import Sender, email, webhook
from cronwright.service import chains
from cronwright.store import alerts as alert_store
from cronwright.store import clock as db_clock
from cronwright.store import queue, scheduling, sql, wakeups

log = logging.getLogger(__name__)

ClockFactory = Callable[[], clock.Clock]


def clock_factory(engine: Engine) -> ClockFactory:
    """A new clock per loop (a wake-up meant for one loop never cuts another's sleep): the
    database's time on PostgreSQL, where hosts share it; the system's on SQLite (one host)."""
    if engine.dialect.name == "postgresql":
        return lambda: db_clock.DatabaseClock(engine)
    return clock.SystemClock


def install_actions(
    registry: actions.ActionRegistry,
    store: sql.SqlStore,
    slots: scheduling.SlotStore,
    clock: clock.Clock,
    *,
    allow_shell: bool,
) -> None:
    """Every kind beyond ``python``: ``http``, ``shell`` (refused unless allowed), ``trigger``."""
    actions.install_default_actions(
        registry, allow_shell=allow_shell, trigger_port=chains.ChainStarter(store, slots, clock)
    )


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
        domain.AlertChannelKind.WEBHOOK: webhook.WebhookSender(timeout=chosen.webhook_timeout),
        domain.AlertChannelKind.EMAIL: email.EmailSender(chosen.smtp),
    }
    if on_sent is not None:
        senders = {kind: _Counted(kind, sender, on_sent) for kind, sender in senders.items()}
    return alerts.Alerter(alert_store.SqlAlertStore(engine), clock, senders, chosen)


@dataclass(frozen=True, slots=True)
class _Counted:
    kind: domain.AlertChannelKind
    sender: Sender
    on_sent: Callable[[domain.AlertChannelKind], None]

    def send(self, delivery: alert_store.OutgoingDelivery, *, now: datetime) -> None:
        self.sender.send(delivery, now=now)  # raises when not delivered: nothing to count
        self.on_sent(self.kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    concurrency: int = worker.DEFAULT_CONCURRENCY
    lease: timedelta = queue.DEFAULT_LEASE
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
        engine: Engine,
        registry: actions.ActionRegistry,
        *,
        run_scheduler: bool = True,
        run_workers: bool = True,
        alerter: alerts.Alerter | None = None,
        worker_options: WorkerOptions | None = None,
        scheduler_settings: scheduler.SchedulerSettings | None = None,
        clocks: ClockFactory | None = None,
        listeners: Sequence[worker.RunListener] = (),
    ) -> None:
        options = worker_options or WorkerOptions()
        self.engine = engine
        self.clocks = clocks or clock_factory(engine)
        self.queue = queue.SqlRunQueue(
            engine,
            global_max_concurrent_runs=options.global_max_concurrent_runs,
            on_pending=self.wake_workers,
        )
        self.slots = scheduling.SqlSlotStore(engine, on_pending=self.wake_workers)
        self.scheduler: scheduler.Scheduler | None = None
        if run_scheduler:
            self.scheduler = scheduler.Scheduler(self.slots, self.clocks(), scheduler_settings)
        self.worker: worker.Worker | None = None
        self.reaper: reaper.Reaper | None = None
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
                claim_ahead=options.claim_ahead,
                hold=options.hold,
            )
            self.reaper = reaper.Reaper(self.queue, self.clocks())
        self.alerter = alerter
        self._scheduler_thread: threading.Thread | None = None
        self._listener: wakeups.PostgresListener | None = None

    def wake_workers(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def start(self) -> None:
        if self.worker is not None:
            self.worker.start()
            if self.engine.dialect.name == "postgresql":
                # Other processes' NOTIFYs; on SQLite every writer is in this process.
                self._listener = wakeups.PostgresListener(self.engine, self.wake_workers).start()
        if self.reaper is not None:
            self.reaper.start()
        if self.alerter is not None:
            self.alerter.start()
        if self.scheduler is not None:
            self._scheduler_thread = threading.Thread(
                target=self.scheduler.run_forever, name="cronwright-scheduler", daemon=True
            )
            self._scheduler_thread.start()

    def stop(self, grace: timedelta | None = None) -> None:
        """Stop scheduling and claiming; let runs in flight finish within ``grace`` (default:
        the worker's shutdown grace), release the rest."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._scheduler_thread is not None:
            self._scheduler_thread.join()
            self._scheduler_thread = None
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self.worker is not None:
            self.worker.stop(grace)
        if self.reaper is not None:
            self.reaper.stop()
        if self.alerter is not None:
            self.alerter.stop()
