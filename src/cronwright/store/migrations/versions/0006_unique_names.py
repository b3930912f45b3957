"""Names are identities: workflows, schedules and alert channels have unique names in each
organization (live rows only for workflows and schedules, which are deleted softly).

A database that already has duplicates is not changed: the upgrade stops with
:class:`~cronwright.errors.DuplicateNames`, listing every organization, name and the ids that
share it, so the operator decides which to keep (duplicates are usually the same schedule
created twice, running every slot twice; renaming them behind the operator's back would keep
them running). Nothing is written until none is left.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cronwright import errors

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, what the operator calls it, whether only live rows count)
_TABLES = (
    ("workflows", "workflow", True),
    ("schedules", "schedule", True),
    ("alert_channels", "alert channel", False),
)


def upgrade() -> None:
    found = [line for table, kind, live in _TABLES for line in _duplicates(table, kind, live)]
    if found:
        raise errors.DuplicateNames(found)
    for table, _, live in _TABLES:
        where = sa.text("deleted_at IS NULL") if live else None
        op.create_index(
            f"uq_{table}_org_id_name",
            table,
            ["org_id", "name"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for table, _, _ in reversed(_TABLES):
        op.drop_index(f"uq_{table}_org_id_name", table_name=table)


def _duplicates(table: str, kind: str, live: bool) -> list[str]:
    """One line per duplicated name: organization, name, and every id that has it."""
    live_only = "WHERE t.deleted_at IS NULL" if live else ""
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT t.org_id, o.name, t.name, t.id FROM {table} t "
            f"JOIN organizations o ON o.id = t.org_id {live_only} "
            "ORDER BY t.org_id, t.name, t.id"
        )
    )
    ids: dict[tuple[int, str, str], list[int]] = {}
    for org_id, org_name, name, row_id in rows:
        ids.setdefault((org_id, org_name, name), []).append(row_id)
    return [
        f"organization {org_id} ({org_name!r}): {kind} name {name!r} is used by "
        f"{kind}s {', '.join(map(str, shared))}"
        for (org_id, org_name, name), shared in ids.items()
        if len(shared) > 1
    ]
