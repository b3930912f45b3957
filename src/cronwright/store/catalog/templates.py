"""Organizations' own templates (``templates``: every saved version) and the template each
schedule came from (``schedule_templates``), org-scoped like every other store method."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cronwright import domain, errors
from cronwright.domain import template_records
from cronwright.store.database import dialect
from cronwright.store.database.schema import ScheduleTemplateRow, TemplateRow


class SqlTemplates:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        with self._engine.connect() as connection:
            if write:
                connection.execution_options(**dialect.WRITE)
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def save(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        document: domain.JsonObject,
        author: str,
        now: datetime,
    ) -> template_records.SavedTemplate:
        """Store ``document`` as the next version of ``name`` (1 if it is new). The write lock
        taken first (SQLite) or the unique key (PostgreSQL) keeps two saves from sharing a
        version; the loser sees ``Conflict`` and may save again."""
        try:
            with self._session(write=True) as session:
                latest = session.scalar(
                    sa.select(sa.func.max(TemplateRow.version)).where(
                        TemplateRow.org_id == org_id, TemplateRow.name == name
                    )
                )
                row = TemplateRow(
                    org_id=org_id,
                    name=name,
                    version=(latest or 0) + 1,
                    document={**document, "name": name, "version": (latest or 0) + 1},
                    author=author,
                    created_at=now,
                )
                session.add(row)
        except sa.exc.IntegrityError as exc:
            if dialect.is_unique_violation(exc):
                raise errors.Conflict(
                    f"template {name!r} was saved by someone else meanwhile; save again"
                ) from None
            raise
        return _saved(row)

    def get(
        self, org_id: domain.OrganizationId, name: str, version: int | None = None
    ) -> template_records.SavedTemplate:
        """``version``, or the newest; ``errors.TemplateNotFound`` naming ``name``."""
        query = sa.select(TemplateRow).where(TemplateRow.org_id == org_id, TemplateRow.name == name)
        query = (
            query.where(TemplateRow.version == version)
            if version is not None
            else query.order_by(TemplateRow.version.desc()).limit(1)
        )
        with self._session(write=False) as session:
            row = session.scalars(query).first()
        if row is None:
            raise errors.TemplateNotFound(name if version is None else f"{name}@{version}")
        return _saved(row)

    def latest(self, org_id: domain.OrganizationId) -> list[template_records.SavedTemplate]:
        """The newest version of each of the organization's templates, by name."""
        newest = (
            sa.select(TemplateRow.name, sa.func.max(TemplateRow.version).label("version"))
            .where(TemplateRow.org_id == org_id)
            .group_by(TemplateRow.name)
            .subquery()
        )
        query = (
            sa.select(TemplateRow)
            .join(
                newest,
                sa.and_(TemplateRow.name == newest.c.name, TemplateRow.version == newest.c.version),
            )
            .where(TemplateRow.org_id == org_id)
            .order_by(TemplateRow.name)
        )
        with self._session(write=False) as session:
            return [_saved(row) for row in session.scalars(query)]

    def versions(self, org_id: domain.OrganizationId, name: str) -> list[int]:
        query = (
            sa.select(TemplateRow.version)
            .where(TemplateRow.org_id == org_id, TemplateRow.name == name)
            .order_by(TemplateRow.version)
        )
        with self._session(write=False) as session:
            return list(session.scalars(query))

    def delete(self, org_id: domain.OrganizationId, name: str) -> None:
        """Every version of ``name``; schedules made from it keep their record of it."""
        with self._session(write=True) as session:
            result = session.execute(
                sa.delete(TemplateRow).where(TemplateRow.org_id == org_id, TemplateRow.name == name)
            )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise errors.TemplateNotFound(name)

    def record_origin(
        self, org_id: domain.OrganizationId, origin: template_records.ScheduleOrigin
    ) -> None:
        """Record (or replace: ``apply`` may move a schedule to another version or other values)
        the template ``origin.schedule_id`` was made from."""
        with self._session(write=True) as session:
            session.execute(
                sa.delete(ScheduleTemplateRow).where(
                    ScheduleTemplateRow.org_id == org_id,
                    ScheduleTemplateRow.schedule_id == origin.schedule_id,
                )
            )
            session.add(
                ScheduleTemplateRow(
                    schedule_id=origin.schedule_id,
                    org_id=org_id,
                    template=origin.template,
                    template_version=origin.template_version,
                    source=origin.source.value,
                    parameters=origin.parameters,
                    created_at=origin.created_at,
                )
            )

    def origin(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> template_records.ScheduleOrigin | None:
        with self._session(write=False) as session:
            row = session.scalars(
                sa.select(ScheduleTemplateRow).where(
                    ScheduleTemplateRow.org_id == org_id,
                    ScheduleTemplateRow.schedule_id == schedule_id,
                )
            ).first()
        return None if row is None else _origin(row)

    def made_from(
        self, org_id: domain.OrganizationId, template: str
    ) -> list[template_records.ScheduleOrigin]:
        """Every schedule made from ``template`` (deleted ones too: history), oldest first."""
        with self._session(write=False) as session:
            found = session.scalars(
                sa.select(ScheduleTemplateRow)
                .where(
                    ScheduleTemplateRow.org_id == org_id, ScheduleTemplateRow.template == template
                )
                .order_by(ScheduleTemplateRow.schedule_id)
            )
            return [_origin(row) for row in found]


def _saved(row: TemplateRow) -> template_records.SavedTemplate:
    return template_records.SavedTemplate(
        org_id=domain.OrganizationId(row.org_id),
        name=row.name,
        version=row.version,
        document=row.document,
        author=row.author,
        created_at=row.created_at,
    )


def _origin(row: ScheduleTemplateRow) -> template_records.ScheduleOrigin:
    return template_records.ScheduleOrigin(
        schedule_id=domain.ScheduleId(row.schedule_id),
        template=row.template,
        template_version=row.template_version,
        source=template_records.TemplateSource(row.source),
        parameters=row.parameters,
        created_at=row.created_at,
    )
