"""``SqlCatalog``: the :class:`~cronwright.store.contracts.Catalog` on SQLAlchemy, for SQLite and
PostgreSQL.

Each public method runs in exactly one transaction. Transactions that write are opened with the
``WRITE`` execution option, which makes SQLite take its write lock up front (``BEGIN IMMEDIATE``);
on PostgreSQL, rows about to change are locked with ``SELECT ... FOR UPDATE`` first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cronwright import domain, errors
from cronwright.store.catalog import names
from cronwright.store.database import dialect, rows, write_gate
from cronwright.store.database.schema import (
    ApiKeyRow,
    Base,
    OrganizationRow,
    RunRow,
    RunStepRow,
    ScheduleEventRow,
    ScheduleRow,
    ScheduleVersionRow,
    WorkflowRow,
    WorkflowVersionRow,
)

_TERMINAL = sorted(state.value for state in domain.TERMINAL_RUN_STATES)


class SqlCatalog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> SqlCatalog:
        return cls(dialect.create_engine(url, **engine_options))

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with write_gate.write_gate(self._engine), self._engine.connect() as connection:
            connection.execution_options(**dialect.WRITE)
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    # -- organizations and API keys -------------------------------------------------------------

    def create_organization(
        self, *, name: str, max_schedules: int, max_concurrent_runs: int, now: datetime
    ) -> domain.Organization:
        row = OrganizationRow(
            name=name,
            max_schedules=max_schedules,
            max_concurrent_runs=max_concurrent_runs,
            schedule_count=0,
            created_at=now,
        )
        try:
            with self._write() as session:
                session.add(row)
        except sa.exc.IntegrityError as exc:
            if dialect.is_unique_violation(exc):
                raise errors.Conflict(f"an organization named {name!r} exists") from None
            raise
        return rows.organization(row)

    def get_organization(self, org_id: domain.OrganizationId) -> domain.Organization:
        with self._read() as session:
            return rows.organization(self._organization_row(session, org_id))

    def list_organizations(self) -> list[domain.Organization]:
        with self._read() as session:
            found = session.scalars(sa.select(OrganizationRow).order_by(OrganizationRow.id))
            return [rows.organization(row) for row in found]

    def set_organization_quotas(
        self, org_id: domain.OrganizationId, *, max_schedules: int, max_concurrent_runs: int
    ) -> domain.Organization:
        with self._write() as session:
            row = self._organization_row(session, org_id)
            row.max_schedules = max_schedules
            row.max_concurrent_runs = max_concurrent_runs
        return rows.organization(row)

    def add_api_key(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        role: domain.Role,
        prefix: str,
        secret_hash: str,
        now: datetime,
    ) -> domain.ApiKey:
        row = ApiKeyRow(
            org_id=org_id,
            name=name,
            role=role.value,
            prefix=prefix,
            secret_hash=secret_hash,
            created_at=now,
        )
        with self._write() as session:
            self._organization_row(session, org_id)
            session.add(row)
        return rows.api_key(row)

    def find_api_key(self, prefix: str) -> domain.ApiKey | None:
        with self._read() as session:
            row = session.scalar(sa.select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
            return None if row is None else rows.api_key(row)

    def list_api_keys(self, org_id: domain.OrganizationId) -> list[domain.ApiKey]:
        with self._read() as session:
            found = session.scalars(
                sa.select(ApiKeyRow).where(ApiKeyRow.org_id == org_id).order_by(ApiKeyRow.id)
            )
            return [rows.api_key(row) for row in found]

    def revoke_api_key(
        self, org_id: domain.OrganizationId, key_id: domain.ApiKeyId, *, now: datetime
    ) -> domain.ApiKey:
        with self._write() as session:
            row = session.scalar(
                sa.select(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.org_id == org_id)
                .with_for_update()
            )
            if row is None:
                raise errors.ApiKeyNotFound(key_id)
            if row.revoked_at is None:
                row.revoked_at = now
        return rows.api_key(row)

    def touch_api_key(self, key_id: domain.ApiKeyId, *, now: datetime) -> None:
        with self._write() as session:
            session.execute(
                sa.update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now)
            )

    # -- workflows --------------------------------------------------------------------------------

    def add_workflow(
        self,
        *,
        org_id: domain.OrganizationId,
        name: str,
        definition: domain.WorkflowDefinition,
        now: datetime,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        row = WorkflowRow(
            org_id=org_id,
            name=name,
            definition=definition.to_json(),
            version=1,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._write() as session:
                self._organization_row(session, org_id)
                names.check_free(session, WorkflowRow, org_id, name)
                session.add(row)
                session.flush()
                session.add(_workflow_version(row, author))
        except sa.exc.IntegrityError as exc:  # created meanwhile by another transaction
            self._raise_name_taken(exc, WorkflowRow, org_id, name)
        return rows.workflow(row)

    def find_workflow_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> domain.Workflow | None:
        with self._engine.connect() as connection:
            found = names.live_row(connection, WorkflowRow, org_id, name)
        return None if found is None else rows.workflow(found)

    def get_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> domain.Workflow:
        with self._read() as session:
            return rows.workflow(self._workflow_row(session, org_id, workflow_id))

    def list_workflows(
        self, org_id: domain.OrganizationId, *, after_id: int | None, limit: int
    ) -> list[domain.Workflow]:
        query = sa.select(WorkflowRow).where(
            WorkflowRow.org_id == org_id, WorkflowRow.deleted_at.is_(None)
        )
        if after_id is not None:
            query = query.where(WorkflowRow.id > after_id)
        with self._read() as session:
            found = session.scalars(query.order_by(WorkflowRow.id).limit(limit))
            return [rows.workflow(row) for row in found]

    def update_workflow(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        name: str,
        definition: domain.WorkflowDefinition,
        now: datetime,
        expected_version: int | None = None,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        try:
            with self._write() as session:
                row = self._workflow_row(session, org_id, workflow_id, lock=True)
                if expected_version is not None and row.version != expected_version:
                    raise errors.StaleVersion(
                        workflow_id, expected=expected_version, actual=row.version
                    )
                names.check_free(session, WorkflowRow, org_id, name, exclude=workflow_id)
                row.name = name
                row.definition = definition.to_json()
                row.version += 1
                row.updated_at = now
                session.add(_workflow_version(row, author))
        except sa.exc.IntegrityError as exc:
            self._raise_name_taken(exc, WorkflowRow, org_id, name, exclude=workflow_id)
        return rows.workflow(row)

    def list_workflow_versions(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> list[domain.WorkflowVersion]:
        with self._read() as session:
            self._workflow_row(session, org_id, workflow_id)
            found = session.scalars(
                sa.select(WorkflowVersionRow)
                .where(WorkflowVersionRow.workflow_id == workflow_id)
                .order_by(WorkflowVersionRow.version)
            )
            return [rows.workflow_version(row) for row in found]

    def get_workflow_version(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId, version: int
    ) -> domain.WorkflowVersion:
        with self._read() as session:
            self._workflow_row(session, org_id, workflow_id)
            row = session.scalar(
                sa.select(WorkflowVersionRow).where(
                    WorkflowVersionRow.workflow_id == workflow_id,
                    WorkflowVersionRow.version == version,
                )
            )
            if row is None:
                raise errors.WorkflowVersionNotFound((workflow_id, version))
            return rows.workflow_version(row)

    def delete_workflow(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId, *, now: datetime
    ) -> None:
        with self._write() as session:
            row = self._workflow_row(session, org_id, workflow_id, lock=True)
            user = session.scalar(
                sa.select(ScheduleRow.id)
                .where(
                    ScheduleRow.org_id == org_id,
                    ScheduleRow.workflow_id == workflow_id,
                    ScheduleRow.deleted_at.is_(None),
                )
                .limit(1)
            )
            if user is not None:
                raise errors.Conflict(f"workflow {workflow_id} is used by schedule {user}")
            row.deleted_at = now

    # -- schedules --------------------------------------------------------------------------------

    def add_schedule(
        self,
        *,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        hash_key: str,
        next_fire_at: datetime | None,
        author: str,
        now: datetime,
    ) -> domain.Schedule:
        new = domain.NewSchedule(spec=spec, hash_key=hash_key, next_fire_at=next_fire_at)
        [added] = self.add_schedules(org_id=org_id, schedules=[new], author=author, now=now)
        return added

    def add_schedules(
        self,
        *,
        org_id: domain.OrganizationId,
        schedules: Sequence[domain.NewSchedule],
        author: str,
        now: datetime,
    ) -> list[domain.Schedule]:
        if not schedules:
            return []
        try:
            with self._write() as session:
                for workflow_id in sorted({new.spec.workflow_id for new in schedules}):
                    self._workflow_row(session, org_id, workflow_id)
                # Names first, in one statement for the batch; a name taken is reported with
                # any same-schedule conflict too. Same-schedule conflicts alone are left to the
                # identity index (the except clause below says which).
                taken = names.owners(session, ScheduleRow, org_id, [s.spec.name for s in schedules])
                for new in schedules:
                    if new.spec.name in taken:
                        self._check_schedule_conflicts(session, org_id, new.spec, exclude=None)
                self._take_schedule_quota(session, org_id, len(schedules))
                # Core statements on the session's connection: bulk inserts without ORM overhead.
                # The identity index refuses duplicates; the except clause below says which.
                connection = session.connection()
                schedules_table = Base.metadata.tables[ScheduleRow.__tablename__]
                ids = connection.scalars(
                    sa.insert(schedules_table).returning(
                        schedules_table.c.id, sort_by_parameter_order=True
                    ),
                    [
                        {
                            "org_id": org_id,
                            "hash_key": new.hash_key,
                            "next_fire_at": new.next_fire_at,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                            **rows.spec_columns(new.spec),
                        }
                        for new in schedules
                    ],
                ).all()
                connection.execute(
                    sa.insert(Base.metadata.tables[ScheduleVersionRow.__tablename__]),
                    [
                        {
                            "org_id": org_id,
                            "schedule_id": schedule_id,
                            "version": 1,
                            "snapshot": new.spec.to_json(),
                            "author": author,
                            "created_at": now,
                        }
                        for schedule_id, new in zip(ids, schedules, strict=True)
                    ],
                )
                connection.execute(
                    sa.insert(Base.metadata.tables[ScheduleEventRow.__tablename__]),
                    [
                        {
                            "org_id": org_id,
                            "schedule_id": schedule_id,
                            "kind": domain.ScheduleEventKind.CREATED.value,
                            "version": 1,
                            "author": author,
                            "detail": {},
                            "created_at": now,
                        }
                        for schedule_id in ids
                    ],
                )
        except sa.exc.IntegrityError as exc:
            self._raise_conflict_instead(exc, org_id, [new.spec for new in schedules])
        return [
            domain.Schedule(
                id=domain.ScheduleId(schedule_id),
                org_id=org_id,
                hash_key=new.hash_key,
                spec=new.spec,
                next_fire_at=new.next_fire_at,
                version=1,
                created_at=now,
                updated_at=now,
            )
            for schedule_id, new in zip(ids, schedules, strict=True)
        ]

    def get_schedule(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> domain.Schedule:
        with self._read() as session:
            return rows.schedule(self._schedule_row(session, org_id, schedule_id))

    def find_schedule_by_name(
        self, org_id: domain.OrganizationId, name: str
    ) -> domain.Schedule | None:
        with self._engine.connect() as connection:
            found = names.live_row(connection, ScheduleRow, org_id, name)
        return None if found is None else rows.schedule(found)

    def get_schedules(
        self, org_id: domain.OrganizationId, schedule_ids: Collection[domain.ScheduleId]
    ) -> list[domain.Schedule]:
        if not schedule_ids:
            return []
        query = sa.select(ScheduleRow).where(
            ScheduleRow.id.in_(sorted(set(schedule_ids))),
            ScheduleRow.org_id == org_id,
            ScheduleRow.deleted_at.is_(None),
        )
        with self._read() as session:
            return [rows.schedule(row) for row in session.scalars(query)]

    def list_schedules(
        self,
        org_id: domain.OrganizationId,
        where: domain.ScheduleFilter,
        *,
        after_id: int | None,
        limit: int,
    ) -> list[domain.Schedule]:
        query = sa.select(ScheduleRow).where(
            ScheduleRow.org_id == org_id, ScheduleRow.deleted_at.is_(None)
        )
        if where.workflow_id is not None:
            query = query.where(ScheduleRow.workflow_id == where.workflow_id)
        if where.paused is not None:
            query = query.where(ScheduleRow.paused == where.paused)
        if where.name_contains:
            query = query.where(ScheduleRow.name.icontains(where.name_contains, autoescape=True))
        if after_id is not None:
            query = query.where(ScheduleRow.id > after_id)
        with self._read() as session:
            found = session.scalars(query.order_by(ScheduleRow.id).limit(limit))
            return [rows.schedule(row) for row in found]

    def next_schedules(self, org_id: domain.OrganizationId, *, limit: int) -> list[domain.Schedule]:
        query = (
            sa.select(ScheduleRow)
            .where(
                ScheduleRow.org_id == org_id,
                ScheduleRow.deleted_at.is_(None),
                ScheduleRow.next_fire_at.is_not(None),
            )
            .order_by(ScheduleRow.next_fire_at, ScheduleRow.id)
            .limit(limit)
        )
        with self._read() as session:
            return [rows.schedule(row) for row in session.scalars(query)]

    def update_schedule(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        spec: domain.ScheduleSpec,
        next_fire_at: datetime | None,
        event: domain.ScheduleEventKind,
        author: str,
        now: datetime,
        expected_version: int,
        detail: domain.JsonObject | None = None,
    ) -> domain.Schedule:
        try:
            with self._write() as session:
                row = self._schedule_row(session, org_id, schedule_id, lock=True)
                if row.version != expected_version:
                    raise errors.StaleVersion(
                        schedule_id, expected=expected_version, actual=row.version
                    )
                self._check_schedule_conflicts(session, org_id, spec, exclude=schedule_id)
                self._workflow_row(session, org_id, spec.workflow_id)
                for column, value in rows.spec_columns(spec).items():
                    setattr(row, column, value)
                row.next_fire_at = next_fire_at
                row.version += 1
                row.updated_at = now
                session.flush()
                self._record(session, row, event, author, now, detail)
        except sa.exc.IntegrityError as exc:
            self._raise_conflict_instead(exc, org_id, [spec], exclude=schedule_id)
        return rows.schedule(row)

    def delete_schedule(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        author: str,
        now: datetime,
    ) -> None:
        with self._write() as session:
            row = self._schedule_row(session, org_id, schedule_id, lock=True)
            row.deleted_at = now
            row.next_fire_at = None
            row.updated_at = now
            session.execute(
                sa.update(OrganizationRow)
                .where(OrganizationRow.id == org_id)
                .values(schedule_count=OrganizationRow.schedule_count - 1)
            )
            session.add(self._event_row(row, domain.ScheduleEventKind.DELETED, author, now, None))

    def list_schedule_versions(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> list[domain.ScheduleVersion]:
        with self._read() as session:
            self._schedule_row(session, org_id, schedule_id)
            found = session.scalars(
                sa.select(ScheduleVersionRow)
                .where(ScheduleVersionRow.schedule_id == schedule_id)
                .order_by(ScheduleVersionRow.version)
            )
            return [rows.schedule_version(row) for row in found]

    def get_schedule_version(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId, version: int
    ) -> domain.ScheduleVersion:
        with self._read() as session:
            self._schedule_row(session, org_id, schedule_id)
            row = session.scalar(
                sa.select(ScheduleVersionRow).where(
                    ScheduleVersionRow.schedule_id == schedule_id,
                    ScheduleVersionRow.version == version,
                )
            )
            if row is None:
                raise errors.ScheduleVersionNotFound((schedule_id, version))
            return rows.schedule_version(row)

    def list_schedule_events(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> list[domain.ScheduleEvent]:
        with self._read() as session:
            found = list(
                session.scalars(
                    sa.select(ScheduleEventRow)
                    .where(
                        ScheduleEventRow.org_id == org_id,
                        ScheduleEventRow.schedule_id == schedule_id,
                    )
                    .order_by(ScheduleEventRow.id)
                )
            )
            if not found:
                raise errors.ScheduleNotFound(schedule_id)
            return [rows.schedule_event(row) for row in found]

    # -- runs -------------------------------------------------------------------------------------

    def get_run(self, org_id: domain.OrganizationId, run_id: domain.RunId) -> domain.Run:
        with self._read() as session:
            return _linked(session, [rows.run(self._run_row(session, org_id, run_id))])[0]

    def list_runs(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter,
        *,
        before_id: int | None,
        limit: int,
    ) -> list[domain.Run]:
        with self._read() as session:
            found: dict[int, RunRow] = {}
            # One query per branch of a schedule's history, each walking its own index (an OR
            # of the two would walk the organization's whole history), merged newest first.
            for conditions in _run_branches(org_id, where):
                query = sa.select(RunRow).where(*conditions)
                if before_id is not None:
                    query = query.where(RunRow.id < before_id)
                for row in session.scalars(query.order_by(RunRow.id.desc()).limit(limit)):
                    found[row.id] = row
            newest = sorted(found.values(), key=lambda row: row.id, reverse=True)[:limit]
            return _linked(session, [rows.run(row) for row in newest])

    def count_runs(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter,
        *,
        available_by: datetime | None = None,
    ) -> dict[domain.RunState, int]:
        query = sa.select(RunRow.state, sa.func.count()).where(*_run_conditions(org_id, where))
        if available_by is not None:
            query = query.where(RunRow.available_at <= available_by)
        with self._read() as session:
            counted = session.execute(query.group_by(RunRow.state)).all()
            return {domain.RunState(state): count for state, count in counted}

    def count_runs_by_hour(
        self, org_id: domain.OrganizationId, *, since: datetime, until: datetime
    ) -> dict[tuple[datetime, domain.RunState], int]:
        # Both read only ``runs (org_id, state, scheduled_for)``, never the table. SQLite: one
        # range count per hour and state (it walks an index range fast, but a grouped pass
        # sorts every run of the window: a million of them, a second). PostgreSQL: one grouped
        # pass, which it runs in parallel and hashes (192 range counts in one statement cost
        # enough to have it JIT-compile them, seconds).
        if dialect.capabilities(self._dialect).index_range_counts:
            return self._count_runs_by_hour_ranges(org_id, since=since, until=until)
        hour = sa.func.date_trunc("hour", sa.func.timezone("UTC", RunRow.scheduled_for))
        window = domain.RunFilter(since=since, until=until)
        query = (
            sa.select(hour, RunRow.state, sa.func.count())
            .where(*_run_conditions(org_id, window))
            .group_by(hour, RunRow.state)
        )
        with self._read() as session:
            counted = session.execute(query).all()
        return {
            (bucket.replace(tzinfo=UTC), domain.RunState(state)): n for bucket, state, n in counted
        }

    def _count_runs_by_hour_ranges(
        self, org_id: domain.OrganizationId, *, since: datetime, until: datetime
    ) -> dict[tuple[datetime, domain.RunState], int]:
        edges = _hour_edges(since, until)
        if not edges:
            return {}
        cells = [(lo, state) for lo, _ in edges for state in domain.RunState]
        query = sa.select(
            *(
                sa.select(sa.func.count())
                .where(
                    RunRow.org_id == org_id,
                    RunRow.state == state.value,
                    RunRow.scheduled_for >= lo,
                    RunRow.scheduled_for < hi,
                )
                .scalar_subquery()
                for lo, hi in edges
                for state in domain.RunState
            )
        )
        with self._read() as session:
            counted = session.execute(query).one()
        hour_of = {lo: _floor_hour(lo) for lo, _ in edges}
        return {(hour_of[lo], state): n for (lo, state), n in zip(cells, counted, strict=True) if n}

    def list_run_steps(
        self, org_id: domain.OrganizationId, run_id: domain.RunId
    ) -> list[domain.RunStep]:
        with self._read() as session:
            self._run_row(session, org_id, run_id)
            found = session.scalars(
                sa.select(RunStepRow).where(RunStepRow.run_id == run_id).order_by(RunStepRow.id)
            )
            return [rows.run_step(row) for row in found]

    def prune_runs(self, *, finished_before: datetime | None, keep_per_schedule: int | None) -> int:
        finished = RunRow.state.in_(_TERMINAL)
        deleted = 0
        with self._write() as session:
            if finished_before is not None:
                aged = sa.func.coalesce(RunRow.finished_at, RunRow.scheduled_for)
                result = session.execute(
                    sa.delete(RunRow).where(finished, aged < finished_before),
                    execution_options={"synchronize_session": False},
                )
                deleted += _rowcount(result)
            if keep_per_schedule is not None:
                rank = (
                    sa.func.row_number()
                    .over(
                        partition_by=RunRow.schedule_id,
                        order_by=(RunRow.scheduled_for.desc(), RunRow.id.desc()),
                    )
                    .label("rank")
                )
                ranked = (
                    sa.select(RunRow.id, rank)
                    .where(finished, RunRow.schedule_id.is_not(None))
                    .subquery()
                )
                surplus = sa.select(ranked.c.id).where(ranked.c.rank > keep_per_schedule)
                result = session.execute(
                    sa.delete(RunRow).where(RunRow.id.in_(surplus)),
                    execution_options={"synchronize_session": False},
                )
                deleted += _rowcount(result)
        return deleted

    # -- helpers ----------------------------------------------------------------------------------

    def _organization_row(self, session: Session, org_id: domain.OrganizationId) -> OrganizationRow:
        row = session.get(OrganizationRow, org_id)
        if row is None:
            raise errors.OrganizationNotFound(org_id)
        return row

    def _workflow_row(
        self,
        session: Session,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        lock: bool = False,
    ) -> WorkflowRow:
        query = sa.select(WorkflowRow).where(
            WorkflowRow.id == workflow_id,
            WorkflowRow.org_id == org_id,
            WorkflowRow.deleted_at.is_(None),
        )
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise errors.WorkflowNotFound(workflow_id)
        return row

    def _schedule_row(
        self,
        session: Session,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        lock: bool = False,
    ) -> ScheduleRow:
        query = sa.select(ScheduleRow).where(
            ScheduleRow.id == schedule_id,
            ScheduleRow.org_id == org_id,
            ScheduleRow.deleted_at.is_(None),
        )
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise errors.ScheduleNotFound(schedule_id)
        return row

    def _run_row(
        self, session: Session, org_id: domain.OrganizationId, run_id: domain.RunId
    ) -> RunRow:
        row = session.scalar(sa.select(RunRow).where(RunRow.id == run_id, RunRow.org_id == org_id))
        if row is None:
            raise errors.RunNotFound(run_id)
        return row

    def _take_schedule_quota(
        self, session: Session, org_id: domain.OrganizationId, count: int
    ) -> None:
        # A conditional UPDATE both checks and counts, and its row lock makes concurrent creates
        # in one organization take turns, so the quota cannot be overshot.
        taken = session.execute(
            sa.update(OrganizationRow)
            .where(
                OrganizationRow.id == org_id,
                OrganizationRow.schedule_count + count <= OrganizationRow.max_schedules,
            )
            .values(schedule_count=OrganizationRow.schedule_count + count)
            .returning(OrganizationRow.id)
        ).first()
        if taken is None:
            organization = self._organization_row(session, org_id)
            raise errors.QuotaExceeded(
                quota="max_schedules",
                limit=organization.max_schedules,
                organization=organization.name,
            )

    def _conflict(
        self,
        session: Session,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        *,
        exclude: domain.ScheduleId | None,
    ) -> domain.ScheduleId | None:
        query = sa.select(ScheduleRow.id).where(
            ScheduleRow.org_id == org_id,
            ScheduleRow.workflow_id == spec.workflow_id,
            ScheduleRow.cron == spec.cron,
            ScheduleRow.timezone == spec.timezone,
            ScheduleRow.input_digest == domain.json_digest(spec.input),
            ScheduleRow.deleted_at.is_(None),
        )
        if exclude is not None:
            query = query.where(ScheduleRow.id != exclude)
        found = session.scalar(query.limit(1))
        return None if found is None else domain.ScheduleId(found)

    def _raise_conflict_instead(
        self,
        exc: sa.exc.IntegrityError,
        org_id: domain.OrganizationId,
        specs: Sequence[domain.ScheduleSpec],
        *,
        exclude: domain.ScheduleId | None = None,
    ) -> NoReturn:
        """A unique index refused a write (another transaction got there first): report the
        live schedules we collided with."""
        if dialect.is_unique_violation(exc):
            with self._read() as session:
                for spec in specs:
                    self._check_schedule_conflicts(session, org_id, spec, exclude=exclude)
        raise exc

    def _check_schedule_conflicts(
        self,
        session: Session,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        *,
        exclude: domain.ScheduleId | None,
    ) -> None:
        """``ScheduleConflict`` naming both the schedule with the same name and the one with the
        same workflow, expression, zone and input, when there are such."""
        same_name = names.owner(session, ScheduleRow, org_id, spec.name, exclude=exclude)
        same_schedule = self._conflict(session, org_id, spec, exclude=exclude)
        if same_name is not None or same_schedule is not None:
            raise errors.ScheduleConflict(same_schedule, same_name=same_name)

    def _raise_name_taken(
        self,
        exc: sa.exc.IntegrityError,
        table: names.NamedRow,
        org_id: int,
        name: str,
        *,
        exclude: int | None = None,
    ) -> NoReturn:
        """A unique index refused a write: ``NameTaken`` if it was the name."""
        if dialect.is_unique_violation(exc):
            with self._read() as session:
                names.check_free(session, table, org_id, name, exclude=exclude)
        raise exc

    def _record(
        self,
        session: Session,
        row: ScheduleRow,
        event: domain.ScheduleEventKind,
        author: str,
        now: datetime,
        detail: domain.JsonObject | None,
    ) -> None:
        """Snapshot the row's current version and log the event that produced it."""
        session.add(
            ScheduleVersionRow(
                org_id=row.org_id,
                schedule_id=row.id,
                version=row.version,
                snapshot=rows.spec(row).to_json(),
                author=author,
                created_at=now,
            )
        )
        session.add(self._event_row(row, event, author, now, detail))

    @staticmethod
    def _event_row(
        row: ScheduleRow,
        event: domain.ScheduleEventKind,
        author: str,
        now: datetime,
        detail: domain.JsonObject | None,
    ) -> ScheduleEventRow:
        return ScheduleEventRow(
            org_id=row.org_id,
            schedule_id=row.id,
            kind=event.value,
            version=row.version,
            author=author,
            detail=detail or {},
            created_at=now,
        )


def _rowcount(result: sa.Result[Any]) -> int:
    count = getattr(result, "rowcount", 0)
    return int(count) if count and count > 0 else 0


def _linked(session: Session, runs: list[domain.Run]) -> list[domain.Run]:
    """Manual and retry runs keep no ``schedule_id`` in their row (they are not slots: see
    service.triggers); name the schedule whose version made them, so every reader links them."""
    versions = {
        run.schedule_version_id
        for run in runs
        if run.schedule_id is None and run.schedule_version_id is not None
    }
    if not versions:
        return runs
    query = sa.select(ScheduleVersionRow.id, ScheduleVersionRow.schedule_id).where(
        ScheduleVersionRow.id.in_(versions)
    )
    owners: dict[int, int] = {row.id: row.schedule_id for row in session.execute(query)}
    return [
        dataclasses.replace(run, schedule_id=domain.ScheduleId(owners[run.schedule_version_id]))
        if run.schedule_id is None and run.schedule_version_id in owners
        else run
        for run in runs
    ]


# Runs of these triggers always carry their schedule's id (service.triggers, the scheduler).
_SLOT_TRIGGERS = frozenset({domain.Trigger.SCHEDULE, domain.Trigger.BACKFILL})


def _run_branches(
    org_id: domain.OrganizationId, where: domain.RunFilter
) -> list[list[sa.ColumnElement[bool]]]:
    """The conditions of a run history query as branches whose union it is: a schedule's
    history is its slots (by ``schedule_id``) and its manual and retry runs (no schedule id,
    one of its versions)."""
    if where.schedule_id is None:
        return [_run_conditions(org_id, where)]
    rest = _run_conditions(org_id, dataclasses.replace(where, schedule_id=None))
    branches = [[*rest, RunRow.schedule_id == where.schedule_id]]
    if where.triggers is None or not where.triggers <= _SLOT_TRIGGERS:
        versions = sa.select(ScheduleVersionRow.id).where(
            ScheduleVersionRow.schedule_id == where.schedule_id
        )
        # ``org_id + 0``: still scoped, but no longer an index SQLite would walk instead of the
        # version index (it prefers the organization's, which yields ids in order, every run).
        by_version = [(RunRow.org_id + 0) == org_id, *rest[1:]]
        branches.append(
            [*by_version, RunRow.schedule_id.is_(None), RunRow.schedule_version_id.in_(versions)]
        )
    return branches


def _floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_edges(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """``[since, until)`` cut at each whole UTC hour: ``(start, end)`` of each piece."""
    edges: list[tuple[datetime, datetime]] = []
    lo = since
    while lo < until:
        hi = min(until, _floor_hour(lo) + timedelta(hours=1))
        edges.append((lo, hi))
        lo = hi
    return edges


def _run_conditions(
    org_id: domain.OrganizationId, where: domain.RunFilter
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a run history query (see ``domain.RunFilter``)."""
    conditions = [RunRow.org_id == org_id]
    if where.schedule_id is not None:
        # Its slots, and its manual and retry runs (no schedule_id: see service.triggers).
        versions = sa.select(ScheduleVersionRow.id).where(
            ScheduleVersionRow.schedule_id == where.schedule_id
        )
        conditions.append(
            sa.or_(
                RunRow.schedule_id == where.schedule_id,
                RunRow.schedule_version_id.in_(versions),
            )
        )
    if where.workflow_id is not None:
        conditions.append(RunRow.workflow_id == where.workflow_id)
    if where.states is not None:
        conditions.append(RunRow.state.in_(sorted(s.value for s in where.states)))
    if where.triggers is not None:
        conditions.append(RunRow.trigger.in_(sorted(t.value for t in where.triggers)))
    if where.since is not None:
        conditions.append(RunRow.scheduled_for >= where.since)
    if where.until is not None:
        conditions.append(RunRow.scheduled_for < where.until)
    return conditions


def _workflow_version(row: WorkflowRow, author: str) -> WorkflowVersionRow:
    """The version row of ``row`` as it is about to be written."""
    return WorkflowVersionRow(
        org_id=row.org_id,
        workflow_id=row.id,
        version=row.version,
        name=row.name,
        definition=row.definition,
        author=author,
        created_at=row.updated_at,
    )
