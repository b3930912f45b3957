"""Materialising slots into runs: the scheduler's side of the ``runs`` table.

Schedulers write ``pending`` runs (and born-finished ``missed`` ones, with a reason); workers claim
and finish them. Exactly once per slot comes from the database, not from a leader: the
``UNIQUE(schedule_id, scheduled_for)`` constraint plus one transaction that writes a schedule's
runs together with its new ``next_fire_at``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from cronwright import domain, errors
from cronwright.planning import materialize as planning
from cronwright.store import contracts
from cronwright.store.database import dialect, rows, write_gate
from cronwright.store.database.schema import RunRow, ScheduleRow, ScheduleVersionRow

log = logging.getLogger(__name__)

# Runs written (by this store) after which PostgreSQL's statistics of ``runs`` are refreshed.
ANALYZE_AFTER = 2000
RUNS_CHANNEL = "cronwright_runs"  # PostgreSQL NOTIFY channel: "pending runs were written"
# Rows per INSERT statement: keeps SQLite under its limit of bound parameters per statement.
_INSERT_CHUNK = 500
_SPECS_KEPT = 65_536  # ~1 KB each


class SqlSlotLedger:
    """:class:`SlotLedger` over the SQL schema, for SQLite and PostgreSQL.

    ``on_pending`` is called after a commit that wrote pending runs: the in-process wake-up for
    workers sharing this process (SQLite); on PostgreSQL a ``NOTIFY`` on :data:`RUNS_CHANNEL`
    reaches the other processes too. Either only cuts latency; polling stays the guarantee.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_pending: Callable[[], None] | None = None,
        analyze_after: int = ANALYZE_AFTER,
    ) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._on_pending = on_pending
        self._analyze_after = analyze_after
        self._written_since_analyze = 0
        # Specs read by (schedule, version, updated_at): every change of a spec makes a new
        # version, and a tick reads the same schedules again and again.
        self._specs: dict[tuple[int, int, datetime], domain.ScheduleSpec] = {}

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with write_gate.write_gate(self._engine), self._engine.connect() as connection:
            connection.execution_options(**dialect.WRITE)  # SQLite: BEGIN IMMEDIATE
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def materialize(
        self,
        *,
        now: datetime,
        lookahead: timedelta,
        batch: int = contracts.DEFAULT_BATCH,
        plan: contracts.PlanSlots | None = None,
    ) -> domain.Materialized:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        planner: contracts.PlanSlots = plan or planning.SlotPlanner()
        until = now + lookahead
        pending = missed = existing = failed = capped = 0
        with write_gate.write_transaction(self._engine) as connection:
            found = connection.execute(_due_statement(), {"until": until, "batch": batch}).all()
            values: list[dict[str, Any]] = []
            moved: list[dict[str, Any]] = []
            for row in found:
                schedule = self._schedule(row)
                try:
                    planned = planner(schedule, now=now, until=until)
                except (errors.CronwrightError, ValueError, LookupError):
                    # A row that cannot be planned (it was valid when saved) must not hold up
                    # every other schedule: leave it due and say so.
                    log.exception("cannot plan schedule %s; left as it is", schedule.id)
                    failed += 1
                    continue
                values.extend(_scheduled_run(row, run, now) for run in planned.runs)
                moved.append({"schedule": row.id, "moved_to": planned.next_fire_at})
                capped += planned.capped
            # One cached INSERT and one cached UPDATE, each executed for the whole batch.
            written = self._insert(connection, values)
            if moved:
                connection.execute(_move_statement(), moved)
            pending += sum(1 for state in written if state == domain.RunState.PENDING)
            missed += sum(1 for state in written if state == domain.RunState.MISSED)
            existing += len(values) - len(written)
            if pending:
                self._notify(connection)
        if pending:
            self._signal()
        self._written_since_analyze += pending + missed
        if self._written_since_analyze >= self._analyze_after:
            self._written_since_analyze = 0
            self._refresh_statistics()
        return domain.Materialized(
            schedules=len(found),
            pending=pending,
            missed=missed,
            existing=existing,
            failed=failed,
            more=len(found) == batch or capped > 0,
        )

    def _schedule(self, row: sa.Row[Any]) -> domain.Schedule:
        key = (row.id, row.version, row.updated_at)
        spec = self._specs.get(key)
        if spec is None:
            if len(self._specs) >= _SPECS_KEPT:
                self._specs.clear()  # (a process serving more schedules rereads them)
            spec = self._specs[key] = rows.spec(row)
        return rows.schedule(row, known_spec=spec)

    def _refresh_statistics(self) -> None:
        """PostgreSQL plans the claim from the table's statistics; right after a burst was
        written they still describe the table without it, and the planner reads and sorts every
        pending run on each claim instead of walking the claim index (21 ms against 0.15 ms a
        claim for a burst of 10,000). Autovacuum analyzes within a minute or so; this does it
        now. It takes no lock that blocks reads or writes."""
        if not dialect.capabilities(self._dialect).analyze_after_bulk_insert:
            return
        try:
            with self._engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("ANALYZE runs")
        except sa.exc.DBAPIError:  # only a plan gets worse: never fail a tick over it
            log.warning("could not analyze the runs table", exc_info=True)

    def earliest_next_fire_at(self) -> datetime | None:
        query = sa.select(sa.func.min(ScheduleRow.next_fire_at)).where(
            ScheduleRow.paused.is_(False), ScheduleRow.deleted_at.is_(None)
        )
        with self._engine.connect() as connection:
            found: datetime | None = connection.execute(query).scalar()
            return found

    def add_runs(self, runs: Sequence[domain.NewRun]) -> domain.InsertedRuns:
        values = [rows.new_run_values(run) for run in runs]
        with self._write() as session:
            ids = self._insert_returning_ids(session, values)
            found = session.scalars(sa.select(RunRow).where(RunRow.id.in_(ids)).order_by(RunRow.id))
            inserted = tuple(rows.run(row) for row in found)
            has_pending = any(run.state is domain.RunState.PENDING for run in inserted)
            if has_pending:
                self._notify(session)
        if has_pending:
            self._signal()
        written = {(run.schedule_id, run.scheduled_for) for run in inserted}
        existing = tuple(
            run.scheduled_for
            for run in runs
            if run.schedule_id is not None and (run.schedule_id, run.scheduled_for) not in written
        )
        return domain.InsertedRuns(runs=inserted, existing=existing)

    def existing_slots(
        self, schedule_id: domain.ScheduleId, slots: Collection[datetime]
    ) -> dict[datetime, domain.RunState]:
        if not slots:
            return {}
        query = sa.select(RunRow.scheduled_for, RunRow.state).where(
            RunRow.schedule_id == schedule_id,
            RunRow.scheduled_for >= min(slots),
            RunRow.scheduled_for <= max(slots),
        )
        wanted = set(slots)
        with self._engine.connect() as connection:
            return {
                at: domain.RunState(state)
                for at, state in connection.execute(query)
                if at in wanted
            }

    # -- helpers ----------------------------------------------------------------------------------

    def _insert(self, connection: Connection, values: list[dict[str, Any]]) -> list[str]:
        """Insert, skipping slots that have a run; the states of the rows actually written.

        One cached statement executed for many rows: SQLAlchemy batches it into multi-row
        INSERTs itself ("insertmanyvalues"), where a statement built with ``.values(rows)``
        was compiled anew for every batch (three quarters of a tick's time)."""
        if not values:
            return []
        result = connection.execute(_insert_statement(self._dialect), values)
        return list(result.scalars())

    def _insert_returning_ids(self, session: Session, values: list[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(values), _INSERT_CHUNK):
            statement = (
                dialect.insert(RunRow, self._dialect)
                .values(values[start : start + _INSERT_CHUNK])
                .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
                .returning(RunRow.id)
            )
            ids.extend(session.execute(statement).scalars())
        return ids

    def _notify(self, session: Session | Connection) -> None:
        if dialect.capabilities(self._dialect).notifications:
            # Delivered at commit, and only if the transaction commits.
            session.execute(sa.text(f"NOTIFY {RUNS_CHANNEL}"))

    def _signal(self) -> None:
        if self._on_pending is not None:
            try:
                self._on_pending()
            except Exception:  # a wake-up is an optimisation: never fail a commit over one
                log.exception("the pending-runs callback failed")


@functools.cache
def _due_statement() -> Any:
    """The schedules due by ``:until``, oldest first, at most ``:batch``, each with the id of
    its current version; locked, skipping those another scheduler holds (PostgreSQL)."""
    schedules, versions = ScheduleRow.__table__, ScheduleVersionRow.__table__
    return (
        sa.select(schedules, versions.c.id.label("version_id"))
        .join(
            versions,
            sa.and_(
                versions.c.schedule_id == schedules.c.id,
                versions.c.version == schedules.c.version,
            ),
        )
        .where(
            schedules.c.next_fire_at <= sa.bindparam("until"),
            schedules.c.paused.is_(False),
            schedules.c.deleted_at.is_(None),
        )
        .order_by(schedules.c.next_fire_at, schedules.c.id)
        .limit(sa.bindparam("batch"))
        .with_for_update(of=schedules, skip_locked=True)  # SQLite: BEGIN IMMEDIATE instead
    )


@functools.cache
def _move_statement() -> Any:
    return (
        sa.update(ScheduleRow)
        .where(ScheduleRow.id == sa.bindparam("schedule"))
        .values(next_fire_at=sa.bindparam("moved_to"))
    )


@functools.cache
def _insert_statement(dialect_name: str) -> Any:
    runs = RunRow.__table__
    return (
        dialect.insert(runs, dialect_name)
        .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
        .returning(runs.c.state)
    )


def _scheduled_run(row: sa.Row[Any], run: planning.PlannedRun, now: datetime) -> dict[str, Any]:
    """The run of ``row``'s schedule (read with its current version's id) for one slot."""
    missed = run.state is domain.RunState.MISSED
    return {
        "org_id": row.org_id,
        "workflow_id": row.workflow_id,
        "schedule_id": row.id,
        "schedule_version_id": row.version_id,
        "trigger": domain.Trigger.SCHEDULE.value,
        "scheduled_for": run.scheduled_for,
        "available_at": run.available_at,
        "state": run.state.value,
        "reason": run.reason,
        "attempt": 0,
        "max_attempts": row.max_attempts,
        "finished_at": now if missed else None,
        "input": row.input,
        "result": None,
        "created_at": now,
    }
