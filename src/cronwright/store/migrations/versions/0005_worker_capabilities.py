"""Capability routing: each live worker's row says what it can execute (the step kinds it runs
and the python functions registered in its process), so that a run waits for a worker that can
execute every step of its workflow instead of being claimed and failed by one that cannot.
NULL: a worker that advertises nothing (older versions), taken to run anything. Each row also
keeps the health of its process's periodic loops, refreshed by its heartbeat, for
``cronwright status``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright.store.database import column_types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("capabilities", column_types.JsonDocument, nullable=True))
        batch.add_column(sa.Column("loops", column_types.JsonDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("loops")
        batch.drop_column("capabilities")
