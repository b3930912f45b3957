"""Initial schema: every table of the data model (see docs/data-model.md).

Revision ID: 0001
Revises:
Create Date: 2026-11-27 14:51:11.150503
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright.store.database import column_types

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "limit_locks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_limit_locks")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("max_schedules", sa.Integer(), nullable=False),
        sa.Column("max_concurrent_runs", sa.Integer(), nullable=False),
        sa.Column("schedule_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", column_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_index(op.f("ix_workers_heartbeat_at"), "workers", ["heartbeat_at"], unique=False)

    op.create_table(
        "alert_channels",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("events", column_types.JsonDocument, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('webhook', 'email')", name=op.f("ck_alert_channels_kind")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_alert_channels_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
    )
    op.create_index(op.f("ix_alert_channels_org_id"), "alert_channels", ["org_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", column_types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name=op.f("ck_api_keys_role")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_api_keys_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_org_id"), "api_keys", ["org_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", column_types.JsonDocument, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", column_types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_workflows_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_workflows_org_id_id")),
    )
    op.create_index(op.f("ix_workflows_org_id"), "workflows", ["org_id"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("workflow_id", column_types.BigId, nullable=False),
        sa.Column("hash_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cron", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("start_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("end_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("input", column_types.JsonDocument, nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("dst_gap", sa.String(length=16), nullable=False),
        sa.Column("dst_fold", sa.String(length=16), nullable=False),
        sa.Column("catchup", sa.String(length=16), nullable=False),
        sa.Column("catchup_window", column_types.Duration(), nullable=False),
        sa.Column("misfire_grace", column_types.Duration(), nullable=False),
        sa.Column("overlap", sa.String(length=16), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_initial", column_types.Duration(), nullable=False),
        sa.Column("backoff_factor", sa.Float(), nullable=False),
        sa.Column("backoff_max", column_types.Duration(), nullable=False),
        sa.Column("timeout", column_types.Duration(), nullable=False),
        sa.Column("jitter", column_types.Duration(), nullable=False),
        sa.Column("next_fire_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", column_types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "catchup IN ('none', 'latest', 'all')", name=op.f("ck_schedules_catchup")
        ),
        sa.CheckConstraint(
            "dst_fold IN ('auto', 'first', 'last', 'both')", name=op.f("ck_schedules_dst_fold")
        ),
        sa.CheckConstraint(
            "dst_gap IN ('auto', 'shift', 'skip')", name=op.f("ck_schedules_dst_gap")
        ),
        sa.CheckConstraint(
            "overlap IN ('allow', 'skip', 'buffer_one', 'buffer_all', 'cancel_previous')",
            name=op.f("ck_schedules_overlap"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "workflow_id"],
            ["workflows.org_id", "workflows.id"],
            name=op.f("fk_schedules_org_id_workflow_id_workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_schedules_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_schedules_org_id_id")),
    )
    op.create_index(op.f("ix_schedules_next_fire_at"), "schedules", ["next_fire_at"], unique=False)
    live = sa.text("deleted_at IS NULL")
    for name, columns in (
        ("ix_schedules_live_org_id_id", ["org_id", "id"]),
        ("ix_schedules_live_org_id_workflow_id_id", ["org_id", "workflow_id", "id"]),
        ("ix_schedules_live_org_id_paused_id", ["org_id", "paused", "id"]),
    ):
        op.create_index(
            name, "schedules", columns, unique=False, sqlite_where=live, postgresql_where=live
        )
    op.create_index(
        "uq_schedules_identity",
        "schedules",
        ["org_id", "workflow_id", "cron", "timezone", "input_digest"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )

    op.create_table(
        "schedule_events",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("schedule_id", column_types.BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("detail", column_types.JsonDocument, nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'edited', 'paused', 'resumed', 'rolled_back', 'deleted')",
            name=op.f("ck_schedule_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_schedule_events_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], name=op.f("fk_schedule_events_schedule_id_schedules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_events")),
    )
    op.create_index(
        "ix_schedule_events_schedule_id_id", "schedule_events", ["schedule_id", "id"], unique=False
    )

    op.create_table(
        "schedule_versions",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("schedule_id", column_types.BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", column_types.JsonDocument, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_schedule_versions_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_versions_schedule_id_schedules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_versions")),
        sa.UniqueConstraint(
            "schedule_id", "version", name=op.f("uq_schedule_versions_schedule_id_version")
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("schedule_id", column_types.BigId, nullable=True),
        sa.Column("workflow_id", column_types.BigId, nullable=False),
        sa.Column("schedule_version_id", column_types.BigId, nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", column_types.UTCDateTime(), nullable=False),
        sa.Column("available_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("started_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("input", column_types.JsonDocument, nullable=False),
        sa.Column("result", column_types.JsonDocument, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', "
            "'skipped', 'missed')",
            name=op.f("ck_runs_state"),
        ),
        sa.CheckConstraint(
            "trigger IN ('schedule', 'manual', 'backfill', 'retry', 'chain')",
            name=op.f("ck_runs_trigger"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "schedule_id"],
            ["schedules.org_id", "schedules.id"],
            name=op.f("fk_runs_org_id_schedule_id_schedules"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "workflow_id"],
            ["workflows.org_id", "workflows.id"],
            name=op.f("fk_runs_org_id_workflow_id_workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_runs_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_version_id"],
            ["schedule_versions.id"],
            name=op.f("fk_runs_schedule_version_id_schedule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "schedule_id", "scheduled_for", name=op.f("uq_runs_schedule_id_scheduled_for")
        ),
    )
    op.create_index("ix_runs_org_id_id", "runs", ["org_id", "id"], unique=False)
    op.create_index("ix_runs_schedule_id_id", "runs", ["schedule_id", "id"], unique=False)
    op.create_index(
        op.f("ix_runs_schedule_version_id"), "runs", ["schedule_version_id"], unique=False
    )
    op.create_index("ix_runs_state_available_at", "runs", ["state", "available_at"], unique=False)

    op.create_table(
        "alert_deliveries",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("channel_id", column_types.BigId, nullable=False),
        sa.Column("run_id", column_types.BigId, nullable=True),
        sa.Column("schedule_id", column_types.BigId, nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("payload", column_types.JsonDocument, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", column_types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'failed')", name=op.f("ck_alert_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_deliveries_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_alert_deliveries_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_alert_deliveries_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_alert_deliveries_schedule_id_schedules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint(
            "channel_id", "dedup_key", name=op.f("uq_alert_deliveries_channel_id_dedup_key")
        ),
    )
    op.create_index(
        op.f("ix_alert_deliveries_org_id"), "alert_deliveries", ["org_id"], unique=False
    )
    op.create_index(
        "ix_alert_deliveries_state_next_attempt_at",
        "alert_deliveries",
        ["state", "next_attempt_at"],
        unique=False,
    )

    op.create_table(
        "run_steps",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("run_id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", column_types.UTCDateTime(), nullable=True),
        sa.Column("output", column_types.JsonDocument, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', "
            "'skipped', 'missed')",
            name=op.f("ck_run_steps_state"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_steps_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_steps")),
        sa.UniqueConstraint(
            "run_id", "name", "attempt", name=op.f("uq_run_steps_run_id_name_attempt")
        ),
    )


def downgrade() -> None:
    op.drop_table("run_steps")
    op.drop_table("alert_deliveries")
    op.drop_table("runs")
    op.drop_table("schedule_versions")
    op.drop_table("schedule_events")
    op.drop_table("schedules")
    op.drop_table("workflows")
    op.drop_table("api_keys")
    op.drop_table("alert_channels")
    op.drop_table("workers")
    op.drop_table("organizations")
    op.drop_table("limit_locks")
