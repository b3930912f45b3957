"""Workflow versions: every save of a workflow keeps its name and definition, who saved it and
when, for its history, diffs and rollback. Each existing workflow starts with its current
version (author ``unknown``, saved at its last update).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright.store.database import column_types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_versions",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("workflow_id", column_types.BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", column_types.JsonDocument, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "workflow_id"],
            ["workflows.org_id", "workflows.id"],
            name=op.f("fk_workflow_versions_org_id_workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_workflow_versions_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint(
            "workflow_id", "version", name=op.f("uq_workflow_versions_workflow_id_version")
        ),
    )
    op.execute(
        "INSERT INTO workflow_versions "
        "(org_id, workflow_id, version, name, definition, author, created_at) "
        "SELECT org_id, id, version, name, definition, 'unknown', updated_at FROM workflows"
    )


def downgrade() -> None:
    op.drop_table("workflow_versions")
