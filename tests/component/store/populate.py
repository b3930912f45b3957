"""A database with a row in every table, written the way the system writes them (through the
service, the slot store and the run queue), for tests that move or compare whole databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.service import alert_channels, triggers
from cronwright.store.catalog import alert_channels as store_alert_channels
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import copying, dialect
from cronwright.store.database.schema import (
    AlertAttemptRow,
    AlertDeliveryRow,
    AlertScanRow,
    AlertSuppressionRow,
    LimitLockRow,
)
from cronwright.store.run_queue import sql_queue
from cronwright.store.slots import slot_ledger

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
STEPS = {
    "steps": [
        {"name": "fetch", "kind": "http", "config": {"url": "https://example.org", "n": 1.5}},
        {
            "name": "store",
            "kind": "python",
            "config": {"function": "save"},
            "depends_on": ["fetch"],
        },
    ]
}


# The tables populate() writes rows into; any other table is compared too, but may be empty.
POPULATED = frozenset(
    {
        "organizations",
        "api_keys",
        "workflows",
        "workflow_versions",
        "schedules",
        "schedule_versions",
        "schedule_events",
        "runs",
        "run_steps",
        "alert_channels",
        "alert_deliveries",
        "workers",
        "limit_locks",
        "alert_attempts",
        "alert_suppressions",
        "alert_scans",
    }
)


def populate(url: str) -> None:
    """Fill the (migrated) database at ``url``: two organizations, keys (one revoked, one used),
    workflows (one edited, one deleted), schedules (created, edited, paused, deleted), runs made
    by trigger and backfill, claimed and finished with steps, alert channels and a delivery."""
    clock = FakeClock(T0)
    store = sql_catalog.SqlCatalog.from_url(url)
    try:
        svc = service.Service.build(store, clock)
        acme = svc.organizations.create("acme", max_schedules=50, max_concurrent_runs=7)
        other = svc.organizations.create("Zürich Ops")
        kept = svc.organizations.issue_api_key(acme.id, name="ci", role=domain.Role.EDITOR)
        gone = svc.organizations.issue_api_key(acme.id, name="old", role=domain.Role.VIEWER)
        svc.organizations.revoke_api_key(acme.id, gone.key.id)
        svc.organizations.authenticate(kept.token)
        svc.organizations.issue_api_key(other.id, name="admin", role=domain.Role.ADMIN)

        report = svc.workflows.create(acme.id, name="report", definition=STEPS)
        svc.workflows.update(acme.id, report.id, name="nightly report")
        spare = svc.workflows.create(acme.id, name="spare", definition=STEPS)
        svc.workflows.delete(acme.id, spare.id)
        theirs = svc.workflows.create(other.id, name="sync", definition=STEPS)

        base = domain.ScheduleSpec(workflow_id=report.id, name="hourly", cron="0 * * * *")
        hourly = svc.schedules.create(acme.id, base, author="alice")
        berlin, paused, doomed = svc.schedules.create_many(
            acme.id,
            [
                base.replace(
                    name="berlin",
                    cron="30 2 * * *",
                    timezone="Europe/Berlin",
                    input={"region": "eu", "tags": ["a", "ü"], "depth": {"x": None}},
                    end_at=T0 + timedelta(days=400),
                    jitter=timedelta(seconds=5),
                ),
                base.replace(name="paused", cron="*/5 * * * *"),
                base.replace(name="doomed", cron="0 0 * * 0"),
            ],
            author="import",
        )
        svc.schedules.update(acme.id, hourly.id, {"cron": "15 * * * *"}, author="bob")
        svc.schedules.pause(acme.id, paused.id, author="bob")
        svc.schedules.delete(acme.id, doomed.id, author="bob")
        svc.schedules.create(
            other.id,
            domain.ScheduleSpec(workflow_id=theirs.id, name="sync", cron="H * * * *"),
            author="carol",
        )

        slots = slot_ledger.SqlSlotLedger(store.engine)
        runs = triggers.Triggers(store, slots, clock)
        clock.advance(timedelta(hours=3))
        runs.trigger_now(acme.id, berlin.id, {"extra": True})
        runs.backfill(acme.id, hourly.id, since=T0 - timedelta(hours=5), until=T0)

        work = sql_queue.SqlRunQueue(store.engine)
        work.register_worker("host-1:42", host="host-1", pid=42, now=clock.now())
        claimed = work.claim("host-1:42", now=clock.now(), limit=3)
        for number, item in enumerate(claimed):
            work.record_step(
                domain.StepRecord(
                    run_id=item.id,
                    attempt=item.attempt,
                    name="fetch",
                    kind="http",
                    state=domain.RunState.SUCCEEDED,
                    started_at=clock.now(),
                    finished_at=clock.now() + timedelta(milliseconds=250),
                    output={"status": 200, "n": number},
                )
            )
            outcome = (
                domain.RunOutcome.succeeded({"rows": number})
                if number % 2 == 0
                else domain.RunOutcome.failed("boom")
            )
            work.finish(
                item.id,
                worker_id="host-1:42",
                attempt=item.attempt,
                outcome=outcome,
                now=clock.now(),
            )

        channels = alert_channels.AlertChannels(
            store_alert_channels.SqlAlertChannels(store.engine), clock
        )
        hook = channels.create(
            acme.id,
            name="ops",
            kind=domain.AlertChannelKind.WEBHOOK,
            target="https://hooks.example.org/cw",
            events=["run_failed"],
            secret="s3cret",
        )
        # Alerting is the engine's business; rows written directly stand in for its work.
        with store.engine.begin() as connection:
            delivery_id = connection.scalar(
                sa.insert(AlertDeliveryRow).returning(AlertDeliveryRow.id),
                {
                    "org_id": acme.id,
                    "channel_id": hook.id,
                    "run_id": claimed[0].id,
                    "schedule_id": hourly.id,
                    "event": "run_failed",
                    "dedup_key": f"run:{claimed[0].id}:failed",
                    "payload": {"run": claimed[0].id},
                    "state": domain.AlertDeliveryState.PENDING.value,
                    "attempts": 1,
                    "next_attempt_at": clock.now(),
                    "created_at": clock.now(),
                },
            )
            connection.execute(
                sa.insert(AlertAttemptRow),
                {
                    "delivery_id": delivery_id,
                    "attempt": 1,
                    "started_at": clock.now(),
                    "finished_at": clock.now() + timedelta(seconds=2),
                    "delivered": False,
                    "error": "HTTP 503",
                },
            )
            connection.execute(
                sa.insert(AlertSuppressionRow),
                {
                    "channel_id": hook.id,
                    "dedup_key": f"run:{claimed[1].id}:failed",
                    "event": "run_failed",
                    "coalesced_into": delivery_id,
                    "created_at": clock.now(),
                },
            )
            connection.execute(
                sa.insert(AlertScanRow), {"name": "runs", "scanned_until": clock.now()}
            )
            # Claims take limit locks only when a limit needs one: make sure the table has a row.
            connection.execute(
                dialect.insert(LimitLockRow, connection.dialect.name)
                .values(key=f"org:{acme.id}")
                .on_conflict_do_nothing()
            )
    finally:
        store.close()


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read through the model types (so instants are aware UTC
    datetimes and durations timedeltas on both backends), in primary-key order."""
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    dict(row)
                    for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    ).mappings()
                ]
                for table in copying.tables()
            }
    finally:
        engine.dispose()
