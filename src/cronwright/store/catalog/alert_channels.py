"""Alert channels on the ``alert_channels`` table, org-scoped like every other store method:
another organization's channel behaves exactly as a missing one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cronwright import domain, errors
from cronwright.domain import alert_channel
from cronwright.store.catalog import names
from cronwright.store.database import dialect, write_gate
from cronwright.store.database.schema import AlertChannelRow


class SqlAlertChannels:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        gate = write_gate.write_gate(self._engine) if write else contextlib.nullcontext()
        with gate, self._engine.connect() as connection:
            if write:
                connection.execution_options(**dialect.WRITE)
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def add(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        kind: domain.AlertChannelKind,
        target: str,
        secret: str | None,
        events: tuple[str, ...],
        enabled: bool,
        now: datetime,
    ) -> alert_channel.AlertChannel:
        row = AlertChannelRow(
            org_id=org_id,
            name=name,
            kind=kind.value,
            target=target,
            secret=secret,
            events=list(events),
            enabled=enabled,
            created_at=now,
        )
        try:
            with self._session(write=True) as session:
                names.check_free(session, AlertChannelRow, org_id, name)
                session.add(row)
        except sa.exc.IntegrityError as exc:  # created meanwhile by another transaction
            self._raise_name_taken(exc, org_id, name, exclude=None)
        return _channel(row)

    def get(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> alert_channel.AlertChannel:
        with self._session(write=False) as session:
            return _channel(_row(session, org_id, channel_id))

    def list(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[alert_channel.AlertChannel]:
        query = sa.select(AlertChannelRow).where(AlertChannelRow.org_id == org_id)
        if after_id is not None:
            query = query.where(AlertChannelRow.id > after_id)
        with self._session(write=False) as session:
            found = session.scalars(query.order_by(AlertChannelRow.id).limit(limit))
            return [_channel(row) for row in found]

    def update(
        self,
        org_id: domain.OrganizationId,
        channel_id: alert_channel.AlertChannelId,
        *,
        name: str,
        target: str,
        secret: str | None,
        events: tuple[str, ...],
        enabled: bool,
    ) -> alert_channel.AlertChannel:
        try:
            with self._session(write=True) as session:
                row = _row(session, org_id, channel_id, lock=True)
                names.check_free(session, AlertChannelRow, org_id, name, exclude=channel_id)
                row.name, row.target, row.secret = name, target, secret
                row.events, row.enabled = list(events), enabled
        except sa.exc.IntegrityError as exc:
            self._raise_name_taken(exc, org_id, name, exclude=channel_id)
        return _channel(row)

    def find_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> alert_channel.AlertChannel | None:
        with self._session(write=False) as session:
            found = names.owner(session, AlertChannelRow, org_id, name)
            return None if found is None else _channel(_row(session, org_id, found))

    def _raise_name_taken(
        self, exc: sa.exc.IntegrityError, org_id: int, name: str, *, exclude: int | None
    ) -> NoReturn:
        if dialect.is_unique_violation(exc):
            with self._session(write=False) as session:
                names.check_free(session, AlertChannelRow, org_id, name, exclude=exclude)
        raise exc

    def delete(
        self, org_id: domain.OrganizationId, channel_id: alert_channel.AlertChannelId
    ) -> None:
        with self._session(write=True) as session:
            session.delete(_row(session, org_id, channel_id, lock=True))


def _row(
    session: Session,
    org_id: domain.OrganizationId,
    channel_id: int,
    *,
    lock: bool = False,
) -> AlertChannelRow:
    query = sa.select(AlertChannelRow).where(
        AlertChannelRow.id == channel_id, AlertChannelRow.org_id == org_id
    )
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise errors.AlertChannelNotFound(channel_id)
    return row


def _channel(row: AlertChannelRow) -> alert_channel.AlertChannel:
    return alert_channel.AlertChannel(
        id=alert_channel.AlertChannelId(row.id),
        org_id=domain.OrganizationId(row.org_id),
        name=row.name,
        kind=domain.AlertChannelKind(row.kind),
        target=row.target,
        secret=row.secret,
        events=tuple(row.events),
        enabled=row.enabled,
        created_at=row.created_at,
    )
