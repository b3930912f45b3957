"""The schema: typed SQLAlchemy models for every table of the data model.

Constraint names come from :data:`NAMING_CONVENTION`, so migrations can name what they alter.
Closed sets (states, policies, roles) are ``VARCHAR`` columns guarded by a ``CHECK`` listing the
enum's values; the store converts them to the domain enums.

Tenant safety is also enforced by the database: a schedule's workflow, and a run's schedule and
workflow, are referenced through composite ``(org_id, id)`` foreign keys, so a row can never point
at another organization's row even if a bug in the code tried.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cronwright import domain
from cronwright.store.database.column_types import BigId, Duration, JsonDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LIVE = sa.text("deleted_at IS NULL")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: type[StrEnum]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=column)


def org_fk() -> Mapped[int]:
    return mapped_column(sa.ForeignKey("organizations.id"), index=True)


class OrganizationRow(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    max_schedules: Mapped[int]
    max_concurrent_runs: Mapped[int]
    # Live schedules; changed in the same transaction as the schedule rows, and the row lock taken
    # by that UPDATE is what makes the max_schedules quota exact under concurrent creates.
    schedule_count: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (one_of("role", domain.Role),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16))
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def unique_name(table: str, *, live_only: bool) -> sa.Index:
    """Names are identities: one live row per (organization, name)."""
    where = LIVE if live_only else None
    return sa.Index(
        f"uq_{table}_org_id_name",
        "org_id",
        "name",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class WorkflowRow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "id"),
        unique_name("workflows", live_only=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkflowVersionRow(Base):
    """Every saved version of a workflow (its name and definition), kept for history and
    rollback; written in the transaction that saves the workflow."""

    __tablename__ = "workflow_versions"
    __table_args__ = (
        sa.UniqueConstraint("workflow_id", "version"),
        sa.ForeignKeyConstraint(["org_id", "workflow_id"], ["workflows.org_id", "workflows.id"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    workflow_id: Mapped[int] = mapped_column(BigId)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    author: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "id"),
        sa.ForeignKeyConstraint(["org_id", "workflow_id"], ["workflows.org_id", "workflows.id"]),
        unique_name("schedules", live_only=True),
        # Conflict detection: one live schedule per (workflow, expression, zone, input) per org.
        sa.Index(
            "uq_schedules_identity",
            "org_id",
            "workflow_id",
            "cron",
            "timezone",
            "input_digest",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        # Pages of live schedules, in id order, unfiltered or by workflow or paused. Partial, so
        # that the planner prefers them even before statistics exist.
        *(
            sa.Index(
                f"ix_schedules_live_{'_'.join(columns)}",
                *columns,
                sqlite_where=LIVE,
                postgresql_where=LIVE,
            )
            for columns in (
                ("org_id", "id"),
                ("org_id", "workflow_id", "id"),
                ("org_id", "paused", "id"),
            )
        ),
        one_of("dst_gap", domain.DstGapPolicy),
        one_of("dst_fold", domain.DstFoldPolicy),
        one_of("catchup", domain.CatchupPolicy),
        one_of("overlap", domain.OverlapPolicy),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    workflow_id: Mapped[int] = mapped_column(BigId)
    hash_key: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    cron: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    paused: Mapped[bool]
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    input: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    input_digest: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of canonical input JSON
    dst_gap: Mapped[str] = mapped_column(sa.String(16))
    dst_fold: Mapped[str] = mapped_column(sa.String(16))
    catchup: Mapped[str] = mapped_column(sa.String(16))
    catchup_window: Mapped[timedelta] = mapped_column(Duration)
    misfire_grace: Mapped[timedelta] = mapped_column(Duration)
    overlap: Mapped[str] = mapped_column(sa.String(16))
    max_attempts: Mapped[int]
    backoff_initial: Mapped[timedelta] = mapped_column(Duration)
    backoff_factor: Mapped[float] = mapped_column(sa.Float)
    backoff_max: Mapped[timedelta] = mapped_column(Duration)
    timeout: Mapped[timedelta] = mapped_column(Duration)
    jitter: Mapped[timedelta] = mapped_column(Duration)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduleVersionRow(Base):
    __tablename__ = "schedule_versions"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedules.id"))
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonDocument)  # ScheduleSpec.to_json()
    author: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleEventRow(Base):
    __tablename__ = "schedule_events"
    __table_args__ = (
        sa.Index("ix_schedule_events_schedule_id_id", "schedule_id", "id"),
        one_of("kind", domain.ScheduleEventKind),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedules.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int]
    author: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        # Exactly once per slot: two schedulers materialising the same slot insert one row.
        sa.UniqueConstraint("schedule_id", "scheduled_for"),
        sa.ForeignKeyConstraint(["org_id", "schedule_id"], ["schedules.org_id", "schedules.id"]),
        sa.ForeignKeyConstraint(["org_id", "workflow_id"], ["workflows.org_id", "workflows.id"]),
        # Claiming takes pending runs in (available_at, id) order: with id in the index, a claim
        # reads only the rows it takes, even when a burst shares one available_at.
        sa.Index("ix_runs_state_available_at_id", "state", "available_at", "id"),
        sa.Index("ix_runs_org_id_id", "org_id", "id"),
        # The dashboard: the overview's counts by state and hour are index range counts, and a
        # list filtered by a rare state or trigger reads only its runs (migration 0008).
        sa.Index("ix_runs_org_id_state_scheduled_for", "org_id", "state", "scheduled_for"),
        sa.Index("ix_runs_org_id_state_id", "org_id", "state", "id"),
        sa.Index("ix_runs_org_id_trigger_id", "org_id", "trigger", "id"),
        sa.Index("ix_runs_schedule_id_id", "schedule_id", "id"),
        sa.Index("ix_runs_finished_at", "finished_at"),  # alert scans: runs finished since
        # A schedule's history includes its manual and retry runs, found through their version.
        sa.Index("ix_runs_schedule_version_id_id", "schedule_version_id", "id"),
        one_of("state", domain.RunState),
        one_of("trigger", domain.Trigger),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    schedule_id: Mapped[int | None] = mapped_column(BigId)
    workflow_id: Mapped[int] = mapped_column(BigId)
    schedule_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schedule_versions.id"), index=True
    )
    trigger: Mapped[str] = mapped_column(sa.String(16))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    attempt: Mapped[int] = mapped_column(server_default="0")
    max_attempts: Mapped[int]
    worker_id: Mapped[str | None] = mapped_column(sa.String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    input: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    result: Mapped[Any | None] = mapped_column(JsonDocument)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunStepRow(Base):
    __tablename__ = "run_steps"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "name", "attempt"),
        one_of("state", domain.RunState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    attempt: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    output: Mapped[Any | None] = mapped_column(JsonDocument)
    error: Mapped[str | None] = mapped_column(sa.Text)


class AlertChannelRow(Base):
    __tablename__ = "alert_channels"
    __table_args__ = (
        one_of("kind", domain.AlertChannelKind),
        unique_name("alert_channels", live_only=False),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str] = mapped_column(sa.String(2000))  # URL or e-mail address
    secret: Mapped[str | None] = mapped_column(sa.String(200))  # HMAC key for webhooks
    events: Mapped[list[str]] = mapped_column(JsonDocument)
    enabled: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertDeliveryRow(Base):
    __tablename__ = "alert_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "dedup_key"),  # one delivery per alert and channel
        sa.Index("ix_alert_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        one_of("state", domain.AlertDeliveryState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = org_fk()
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_channels.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id", ondelete="SET NULL"))
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedules.id"))
    event: Mapped[str] = mapped_column(sa.String(32))
    dedup_key: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertAttemptRow(Base):
    """One delivery attempt and how it ended: the history behind a delivery's counters."""

    __tablename__ = "alert_attempts"
    __table_args__ = (sa.UniqueConstraint("delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool]
    error: Mapped[str | None] = mapped_column(sa.Text)


class AlertSuppressionRow(Base):
    """An alert a channel did not get on its own because its schedule hit the rate limit; it is
    counted in the summary delivery ``coalesced_into``. Unique like a delivery, so a rescan never
    counts an alert twice."""

    __tablename__ = "alert_suppressions"
    __table_args__ = (sa.UniqueConstraint("channel_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_channels.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(sa.String(200))
    event: Mapped[str] = mapped_column(sa.String(32))
    coalesced_into: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertScanRow(Base):
    """The alert scanner's cursor: facts up to ``scanned_until`` have been turned into alerts.
    Locked while a process scans, so scans take turns and others skip rather than wait."""

    __tablename__ = "alert_scans"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    scanned_until: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkerRow(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(200))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What it can execute (domain.Capabilities.to_json); NULL: anything (it advertised nothing).
    capabilities: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)
    # The health of its process's loops ([{name, state, failures, ...}]), refreshed by heartbeat.
    loops: Mapped[list[Any] | None] = mapped_column(JsonDocument, nullable=True)


class LimitLockRow(Base):
    """One row per concurrency limit (``global``, ``org:N``, ``schedule:N``), locked in key order
    while a worker counts running runs, so two claims never both pass the same limit."""

    __tablename__ = "limit_locks"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class TemplateRow(Base):
    """One version of an organization's own template; a save adds the next version."""

    __tablename__ = "templates"
    __table_args__ = (sa.UniqueConstraint("org_id", "name", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    author: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleTemplateRow(Base):
    """The template (and its version) a schedule was made from; none for other schedules."""

    __tablename__ = "schedule_templates"
    __table_args__ = (
        sa.ForeignKeyConstraint(["org_id", "schedule_id"], ["schedules.org_id", "schedules.id"]),
        sa.Index("ix_schedule_templates_org_id_template", "org_id", "template"),
        sa.CheckConstraint("source IN ('shipped', 'organization')", name="source"),
    )

    schedule_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    template: Mapped[str] = mapped_column(sa.String(64))
    template_version: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(16))
    parameters: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
