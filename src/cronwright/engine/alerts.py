"""The alerter: finds what calls for an alert, queues the deliveries, sends them.

Any process may run one, any number at once (the store shares the work and keeps each alert to
one delivery per channel). It polls the tables the engine writes anyway, so the workers' and
schedulers' paths do not know it exists; and it sends on its own thread pool with each sender's
timeouts, so a channel that hangs holds up one of its threads and nothing else.

One loop thread: scan (queue new deliveries), hand due deliveries to the pool as threads free
up, sleep for the poll interval (or until a delivery finishes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright import clock as clocks
from cronwright import domain, errors, outbound
from cronwright.domain import alert_channel
from cronwright.engine import loop
from cronwright.engine.delivery import Sender, smtp_mail, webhook
from cronwright.planning import alerts as planning
from cronwright.store import contracts

log = logging.getLogger(__name__)

PRUNE_BATCH = 1000
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlerterSettings:
    poll_interval: timedelta = timedelta(seconds=5)  # between scans and looks for due deliveries
    threads: int = 4  # deliveries in flight at once
    # A claimed delivery is not taken by another process for this long: longer than any
    # sender's timeout, so a live sender is never doubled; a dead one's delivery is retried.
    lease: timedelta = timedelta(minutes=2)
    rate: planning.RateLimit = field(default_factory=planning.RateLimit)
    policy: planning.DeliveryPolicy = field(default_factory=planning.DeliveryPolicy)
    overlap: timedelta = contracts.DEFAULT_OVERLAP  # rescan this far back for late commits
    max_lookback: timedelta = contracts.DEFAULT_MAX_LOOKBACK  # after an outage of every alerter
    retention: timedelta = timedelta(days=30)  # delivered and failed deliveries are kept so long
    webhook_timeout: timedelta = webhook.DEFAULT_TIMEOUT
    smtp: smtp_mail.SmtpSettings = field(default_factory=smtp_mail.SmtpSettings)
    outbound_policy: outbound.OutboundPolicy = field(default_factory=outbound.OutboundPolicy)

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError("the alerter needs at least one thread")
        if self.lease <= max(self.webhook_timeout, self.smtp.timeout):
            raise ValueError("the delivery lease must outlast the senders' timeouts")


@dataclass(frozen=True, slots=True, kw_only=True)
class TestOutcome:
    delivery_id: int
    delivered: bool
    error: str | None  # why not, in full: for the operator (recorded on the delivery)
    public_error: str | None  # why not, as a class of failure: for the organization


class Alerter:
    def __init__(
        self,
        store: contracts.AlertLedger,
        clock: clocks.Clock,
        senders: Mapping[domain.AlertChannelKind, Sender],
        settings: AlerterSettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or AlerterSettings()
        self._clock = clock
        self._senders = dict(senders)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._prune_at: datetime | None = None
        self.loop = loop.Loop("alerter", self._round, clock, interval=self.settings.poll_interval)

    # -- one step at a time (the loop below, and tests) -------------------------------------------

    def scan_once(self) -> domain.ScanReport | None:
        """Queue the deliveries new facts call for; None if another process is scanning."""
        return self.store.scan(
            now=self._clock.now(),
            rate=self.settings.rate,
            overlap=self.settings.overlap,
            max_lookback=self.settings.max_lookback,
        )

    def prune_once(self) -> int:
        """Delete finished deliveries older than the retention; how many went."""
        cutoff = self._clock.now() - self.settings.retention
        pruned = 0
        while batch := self.store.prune(created_before=cutoff, limit=PRUNE_BATCH):
            pruned += batch
        return pruned

    def deliver_once(self) -> list[domain.DeliveryRecord | None]:
        """Claim what is due (up to the thread count), send it on the pool, wait for the
        outcomes. For tests and one-shot use; the loop does not wait."""
        claimed = self._claim(self.settings.threads)
        futures = [self._pool_or_start().submit(self._deliver, d) for d in claimed]
        return [future.result() for future in futures]

    def send_test(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> TestOutcome:
        """Send a test alert through the channel now, in the calling thread (bounded by the
        sender's timeout), recorded like any delivery but never retried."""
        started_at = self._clock.now()
        delivery = self.store.add_test(
            org_id, channel_id, now=started_at, lease=self.settings.lease
        )
        failure = self._failure(delivery)
        error = None if failure is None else str(failure)
        self.store.record_attempt(
            delivery,
            started_at=started_at,
            now=self._clock.now(),
            error=error,
            policy=planning.DeliveryPolicy(max_attempts=1),
        )
        return TestOutcome(
            delivery_id=delivery.id,
            delivered=failure is None,
            error=error,
            public_error=None if failure is None else failure.public,
        )

    # -- threads ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._prune_at = None
        self.loop.start()

    def stop(self) -> None:
        """Stop the loop; deliveries in flight end within their timeouts (an unfinished one is
        sent again by whichever process claims it when its lease ends)."""
        self.loop.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _round(self) -> None:
        """Prune now and then, scan, hand what is due to the pool (without waiting for it)."""
        now = self._clock.now()
        if self._prune_at is None or now >= self._prune_at:
            self._prune_at = now + PRUNE_EVERY
            self.prune_once()
        self.scan_once()
        for delivery in self._claim(self._free()):
            self._pool_or_start().submit(self._deliver, delivery).add_done_callback(self._done)

    # -- helpers ----------------------------------------------------------------------------------

    def _free(self) -> int:
        with self._lock:
            return self.settings.threads - self._in_flight

    def _claim(self, limit: int) -> list[domain.OutgoingDelivery]:
        if limit <= 0:
            return []
        claimed = self.store.claim_due(
            now=self._clock.now(), lease=self.settings.lease, limit=limit
        )
        with self._lock:
            self._in_flight += len(claimed)
        return claimed

    def _done(self, _future: Future[domain.DeliveryRecord | None]) -> None:
        self._clock.wake()  # a thread is free: look for due deliveries now

    def _deliver(self, delivery: domain.OutgoingDelivery) -> domain.DeliveryRecord | None:
        try:
            started_at = self._clock.now()
            error = self._send(delivery)
            recorded = self.store.record_attempt(
                delivery,
                started_at=started_at,
                now=self._clock.now(),
                error=error,
                policy=self.settings.policy,
            )
            if recorded is None:
                log.info("delivery %s attempt %s was fenced out", delivery.id, delivery.attempt)
            return recorded
        except Exception:  # its lease will end and it is claimed again
            log.exception("could not record delivery %s", delivery.id)
            return None
        finally:
            with self._lock:
                self._in_flight -= 1

    def _send(self, delivery: domain.OutgoingDelivery) -> str | None:
        """None if the channel took it, else why not."""
        failure = self._failure(delivery)
        return None if failure is None else str(failure)

    def _failure(self, delivery: domain.OutgoingDelivery) -> errors.AlertDeliveryFailed | None:
        sender = self._senders.get(delivery.kind)
        if sender is None:
            return errors.AlertDeliveryFailed(
                f"no sender for {delivery.kind.value} channels in this process"
            )
        try:
            sender.send(delivery, now=self._clock.now())
        except errors.AlertDeliveryFailed as exc:
            return exc
        except Exception as exc:  # a sender bug must not kill the thread: record it
            log.exception("sending delivery %s failed unexpectedly", delivery.id)
            return errors.AlertDeliveryFailed(f"{type(exc).__name__}: {exc}")
        return None

    def _pool_or_start(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="cw-alert")
        return self._pool
