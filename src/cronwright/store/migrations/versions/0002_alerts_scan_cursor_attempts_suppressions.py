"""Alerts: the scan cursor, one row per delivery attempt, rate-limited (coalesced) alerts, and an
index on ``runs.finished_at`` for scanning runs finished since the cursor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:22:03.212875
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright.store.database import column_types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_scans",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("scanned_until", column_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_scans")),
    )
    op.create_table(
        "alert_attempts",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("delivery_id", column_types.BigId, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", column_types.UTCDateTime(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["alert_deliveries.id"],
            name=op.f("fk_alert_attempts_delivery_id_alert_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_attempts")),
        sa.UniqueConstraint(
            "delivery_id", "attempt", name=op.f("uq_alert_attempts_delivery_id_attempt")
        ),
    )
    op.create_table(
        "alert_suppressions",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("channel_id", column_types.BigId, nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("coalesced_into", column_types.BigId, nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_suppressions_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coalesced_into"],
            ["alert_deliveries.id"],
            name=op.f("fk_alert_suppressions_coalesced_into_alert_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_suppressions")),
        sa.UniqueConstraint(
            "channel_id", "dedup_key", name=op.f("uq_alert_suppressions_channel_id_dedup_key")
        ),
    )
    op.create_index(
        op.f("ix_alert_suppressions_coalesced_into"),
        "alert_suppressions",
        ["coalesced_into"],
        unique=False,
    )
    op.create_index("ix_runs_finished_at", "runs", ["finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_runs_finished_at", table_name="runs")
    op.drop_index(op.f("ix_alert_suppressions_coalesced_into"), table_name="alert_suppressions")
    op.drop_table("alert_suppressions")
    op.drop_table("alert_attempts")
    op.drop_table("alert_scans")
