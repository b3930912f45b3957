"""An index on ``runs (schedule_version_id, id)``: a schedule's run history includes its manual
and retry runs, which carry no ``schedule_id`` and are found through the version that made them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_runs_schedule_version_id_id", "runs", ["schedule_version_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_runs_schedule_version_id_id", table_name="runs")
