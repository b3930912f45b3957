"""Names are identities: who already has a name in an organization.

The unique indexes ``uq_<table>_org_id_name`` are the guarantee (two concurrent creates cannot
both win); these lookups say which row a refused write collided with, and let a write report
every conflict at once instead of the first one the database happens to find.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cronwright import errors
from cronwright.store.database.schema import AlertChannelRow, ScheduleRow, WorkflowRow

_KIND = {WorkflowRow: "workflow", ScheduleRow: "schedule", AlertChannelRow: "alert channel"}
NamedRow = type[WorkflowRow] | type[ScheduleRow] | type[AlertChannelRow]


def owner(
    session: Session, table: NamedRow, org_id: int, name: str, *, exclude: int | None = None
) -> int | None:
    """The id of the organization's live row named ``name`` (other than ``exclude``)."""
    query: sa.Select[Any] = sa.select(table.id).where(table.org_id == org_id, table.name == name)
    if table is not AlertChannelRow:  # alert channels are deleted for good
        query = query.where(table.deleted_at.is_(None))  # type: ignore[union-attr]
    if exclude is not None:
        query = query.where(table.id != exclude)
    found: int | None = session.scalar(query.limit(1))
    return found


def live_row(
    connection: Connection, table: type[WorkflowRow] | type[ScheduleRow], org_id: int, name: str
) -> sa.Row[Any] | None:
    """The organization's live row named ``name``, every column, in one Core statement (no ORM
    identity map or instance state: a name lookup is read, converted and dropped)."""
    columns = table.__table__.c
    query = (
        sa.select(table.__table__)
        .where(columns.org_id == org_id, columns.name == name, columns.deleted_at.is_(None))
        .limit(1)
    )
    return connection.execute(query).first()


def owners(
    session: Session, table: NamedRow, org_id: int, wanted: Collection[str]
) -> dict[str, int]:
    """The ids of the organization's live rows with any of the ``wanted`` names, by name: one
    statement for a whole batch."""
    query = sa.select(table.name, table.id).where(
        table.org_id == org_id, table.name.in_(sorted(set(wanted)))
    )
    if table is not AlertChannelRow:
        query = query.where(table.deleted_at.is_(None))  # type: ignore[union-attr]
    return {name: row_id for name, row_id in session.execute(query)}  # noqa: C416 - typed rows


def check_free(
    session: Session, table: NamedRow, org_id: int, name: str, *, exclude: int | None = None
) -> None:
    """``NameTaken`` with the holder's id when another live row has ``name``."""
    holder = owner(session, table, org_id, name, exclude=exclude)
    if holder is not None:
        raise errors.NameTaken(_KIND[table], name, holder)
