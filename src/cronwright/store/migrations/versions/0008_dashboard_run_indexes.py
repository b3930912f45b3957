"""Indexes for the dashboard's reads of one organization's runs, which otherwise walk its whole
history newest first:

- ``runs (org_id, state, scheduled_for)``: the overview counts the last 24 hours by state and
  hour as index range counts (one per hour and state), reading no table row;
- ``runs (org_id, state, id)``: a list filtered by a state that few runs are in (``running``,
  ``pending``) reads only those runs;
- ``runs (org_id, trigger, id)``: the same for a trigger (``backfill``, ``manual``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_runs_org_id_state_scheduled_for": ["org_id", "state", "scheduled_for"],
    "ix_runs_org_id_state_id": ["org_id", "state", "id"],
    "ix_runs_org_id_trigger_id": ["org_id", "trigger", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "runs", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="runs")
