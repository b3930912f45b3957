"""The claim's index covers its whole order: ``runs (state, available_at, id)`` replaces
``runs (state, available_at)``. Runs of a burst share one ``available_at``; without ``id`` in the
index, PostgreSQL read and sorted every pending run of the burst on each claim to take the first
few (SQLite's index entries end with the rowid, so it was already in order there).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_runs_state_available_at_id", "runs", ["state", "available_at", "id"], unique=False
    )
    op.drop_index("ix_runs_state_available_at", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_state_available_at", "runs", ["state", "available_at"], unique=False)
    op.drop_index("ix_runs_state_available_at_id", table_name="runs")
