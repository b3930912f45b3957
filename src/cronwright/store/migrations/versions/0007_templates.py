"""Templates: organizations' own templates (every saved version kept), and the template and
version each schedule made from one came from.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright.store.database import column_types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", column_types.JsonDocument, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_templates_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint(
            "org_id", "name", "version", name=op.f("uq_templates_org_id_name_version")
        ),
    )
    op.create_index(op.f("ix_templates_org_id"), "templates", ["org_id"], unique=False)
    op.create_table(
        "schedule_templates",
        sa.Column("schedule_id", column_types.BigId, nullable=False),
        sa.Column("org_id", column_types.BigId, nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("parameters", column_types.JsonDocument, nullable=False),
        sa.Column("created_at", column_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "source IN ('shipped', 'organization')", name=op.f("ck_schedule_templates_source")
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "schedule_id"],
            ["schedules.org_id", "schedules.id"],
            name=op.f("fk_schedule_templates_org_id_schedules"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_schedule_templates_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_schedule_templates")),
    )
    op.create_index(
        "ix_schedule_templates_org_id_template",
        "schedule_templates",
        ["org_id", "template"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_schedule_templates_org_id_template", table_name="schedule_templates")
    op.drop_table("schedule_templates")
    op.drop_index(op.f("ix_templates_org_id"), table_name="templates")
    op.drop_table("templates")
