"""Ending attempts inside a write transaction: step records, fenced finishes, retries.

Used by :class:`~cronwright.store.run_queue.sql_queue.SqlRunQueue` (group-commit batches, the
reaper); the guarantees are stated on :class:`~cronwright.store.contracts.RunQueue`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import operators

from cronwright import domain
from cronwright.planning import backoff
from cronwright.store.database import column_types, dialect, rows
from cronwright.store.database.driver_statements import compile_for
from cronwright.store.database.schema import RunRow, RunStepRow, ScheduleRow

_RUNNING = domain.RunState.RUNNING.value
_PENDING = domain.RunState.PENDING.value
_STEP_COLUMNS = (
    "run_id",
    "name",
    "kind",
    "attempt",
    "state",
    "started_at",
    "finished_at",
    "output",
    "error",
)


class AttemptEnds:
    """Records steps and ends attempts in the caller's write transaction, with the statements
    of one database (on SQLite, the hot ones run through the driver: see
    :mod:`cronwright.store.database.driver_statements`)."""

    def __init__(self, db_dialect: Dialect, unit_random: backoff.UnitRandom) -> None:
        self._dialect_name = db_dialect.name
        self._fast = dialect.capabilities(db_dialect.name).driver_fast_paths
        self._unit_random = unit_random
        if self._fast:
            self._fast_steps = compile_for(_step_insert(db_dialect.name), db_dialect)
            self._fast_running = compile_for(_running_runs(by_json_ids=True), db_dialect)
            self._fast_succeeded = compile_for(_fenced_update(), db_dialect)

    def record_steps(self, connection: Connection, steps: Sequence[domain.StepRecord]) -> None:
        if self._fast:
            self._fast_steps.execute_many(connection, (_step_driver_values(s) for s in steps))
            return
        connection.execute(_step_insert(self._dialect_name), [_step_values(s) for s in steps])

    def finish(
        self, connection: Connection, finishes: Sequence[domain.Finish]
    ) -> list[domain.Run | None]:
        """Each finish fenced on its own ``(worker_id, attempt, state = running)``, the rows
        locked (PostgreSQL) or the write lock held (SQLite) from the read to the writes."""
        ids = sorted({finish.run_id for finish in finishes})
        running = {row.id: row for row in self._running_rows(connection, ids)}
        results: list[domain.Run | None] = []
        succeeded: list[_Success] = []
        for finish in finishes:
            row = running.get(finish.run_id)
            if row is None or row.worker_id != finish.worker_id or row.attempt != finish.attempt:
                results.append(None)
                continue
            del running[finish.run_id]  # a second finish of this attempt is fenced out
            outcome, now = finish.outcome, finish.now
            if finish.started_at is not None:  # the real start, after the planned one
                row = row._replace(started_at=finish.started_at)
            if outcome.state is domain.RunState.SUCCEEDED:
                succeeded.append(_Success(row, outcome.result, now))
                results.append(_succeeded_run(row, outcome.result, now))
            else:
                assert outcome.error is not None
                values = self.after_failed_attempt(
                    connection, row, outcome.state, outcome.error, now
                )
                if finish.started_at is not None:
                    values["started_at"] = finish.started_at
                results.append(update_run(connection, row.id, values))
        if succeeded:
            self._write_successes(connection, succeeded)
        return results

    def after_failed_attempt(
        self,
        connection: Connection,
        row: Attempt,
        state: domain.RunState,
        error: str,
        now: datetime,
    ) -> dict[str, Any]:
        """The column values after attempt ``row.attempt`` ended in ``state``: a retry after the
        schedule's backoff while attempts are left, else the final ``state``."""
        policy = _backoff_policy(connection, row)
        what = "timed out" if state is domain.RunState.TIMED_OUT else "failed"
        common = {"error": error, "lease_expires_at": None}
        if policy.attempts_left(row.attempt):
            retry_at = now + policy.delay(row.attempt, self._unit_random)
            return common | {
                "state": _PENDING,
                "available_at": retry_at,
                "worker_id": None,
                "reason": (
                    f"attempt {row.attempt} of {policy.max_attempts} {what}; "
                    f"retrying at {retry_at.isoformat()}"
                ),
            }
        return common | {
            "state": state.value,
            "finished_at": now,
            "reason": f"{what} after {row.attempt} attempt{'s' if row.attempt > 1 else ''}",
        }

    def _running_rows(self, connection: Connection, ids: Sequence[int]) -> list[_Running]:
        """The runs among ``ids`` still running (locked on PostgreSQL)."""
        if self._fast:  # raw rows, converted here
            found = self._fast_running.execute(connection, {"b_ids_json": json.dumps(ids)})
            return [_Running.from_driver(row) for row in found]
        found_rows = connection.execute(_running_runs(by_json_ids=False), {"b_ids": ids})
        return [_Running(*row) for row in found_rows]

    def _write_successes(self, connection: Connection, succeeded: Sequence[_Success]) -> None:
        if self._fast:
            self._fast_succeeded.execute_many(
                connection,
                (
                    _success_values(done)
                    | {
                        "result": column_types.sqlite_json(done.result),
                        "started_at": column_types.sqlite_instant(done.row.started_at),
                        "finished_at": column_types.sqlite_instant(done.now),
                    }
                    for done in succeeded
                ),
            )
            return
        connection.execute(_fenced_update(), [_success_values(done) for done in succeeded])


def update_run(connection: Connection, run_id: int, values: dict[str, Any]) -> domain.Run:
    """Set ``values`` on a run and return it as it now is."""
    row = connection.execute(
        sa.update(RunRow)
        .where(RunRow.id == run_id)
        .values(values)
        .returning(*RunRow.__table__.columns)
    ).one()
    return _run(row)


def _run(row: Any) -> domain.Run:
    """A domain run from a Core row of ``runs`` (the same columns as the ORM row)."""
    return rows.run(row)


class Attempt(Protocol):
    """What deciding the outcome of a failed attempt reads of its run."""

    @property
    def schedule_id(self) -> int | None: ...
    @property
    def attempt(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...


def _backoff_policy(connection: Connection, row: Attempt) -> backoff.BackoffPolicy:
    # The run keeps its own max_attempts (the schedule may have been edited since); the
    # delays follow the schedule's current policy, or the defaults for runs without one.
    found = None
    if row.schedule_id is not None:
        found = connection.execute(
            sa.select(
                ScheduleRow.backoff_initial, ScheduleRow.backoff_factor, ScheduleRow.backoff_max
            ).where(ScheduleRow.id == row.schedule_id)
        ).one_or_none()
    if found is None:
        return backoff.BackoffPolicy(max_attempts=row.max_attempts)
    return backoff.BackoffPolicy(
        max_attempts=row.max_attempts,
        initial=found.backoff_initial,
        factor=found.backoff_factor,
        maximum=found.backoff_max,
    )


class _Running(NamedTuple):
    """What finishing an attempt reads of a running run: the other columns are either set by
    the finish (success) or read back from the UPDATE (failure)."""

    id: int
    org_id: int
    schedule_id: int | None
    workflow_id: int
    schedule_version_id: int | None
    trigger: str
    scheduled_for: datetime
    available_at: datetime
    attempt: int
    max_attempts: int
    worker_id: str
    started_at: datetime | None
    input: domain.JsonObject
    created_at: datetime

    @classmethod
    def from_driver(cls, row: Sequence[Any]) -> _Running:
        """From SQLite's driver row of :func:`_running_runs`, converted as the column types
        would."""
        (id_, org_id, schedule_id, workflow_id, version_id, trigger, scheduled_for) = row[:7]
        available_at, attempt, max_attempts, worker_id, started_at, input_, created_at = row[7:]
        return cls(
            id_,
            org_id,
            schedule_id,
            workflow_id,
            version_id,
            trigger,
            column_types.from_micros(scheduled_for),
            column_types.from_micros(available_at),
            attempt,
            max_attempts,
            worker_id,
            column_types.instant_from_db(started_at),
            column_types.sqlite_json_value(input_),
            column_types.from_micros(created_at),
        )


class _Success(NamedTuple):
    row: _Running
    result: domain.JsonValue
    now: datetime


def _step_values(step: domain.StepRecord) -> dict[str, Any]:
    return {
        "run_id": step.run_id,
        "name": step.name,
        "kind": step.kind,
        "attempt": step.attempt,
        "state": step.state.value,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "output": step.output,
        "error": step.error,
    }


def _step_driver_values(step: domain.StepRecord) -> dict[str, Any]:
    """:func:`_step_values` converted for SQLite's driver, as the column types would."""
    return _step_values(step) | {
        "started_at": column_types.sqlite_instant(step.started_at),
        "finished_at": column_types.sqlite_instant(step.finished_at),
        "output": column_types.sqlite_json(step.output),
    }


def _success_values(done: _Success) -> dict[str, Any]:
    return {
        "b_id": done.row.id,
        "b_worker": done.row.worker_id,
        "b_attempt": done.row.attempt,
        "result": done.result,
        "started_at": done.row.started_at,
        "finished_at": done.now,
    }


def _succeeded_run(row: _Running, result: domain.JsonValue, now: datetime) -> domain.Run:
    """A running run as the fenced update leaves it after a success."""
    return rows.run_with(
        row,
        state=domain.RunState.SUCCEEDED,
        reason=None,
        attempt=row.attempt,
        worker_id=row.worker_id,
        lease_expires_at=None,
        started_at=row.started_at,
        finished_at=now,
        result=result,
        error=None,
    )


# Statements of the hot paths, built once.


@functools.cache
def _step_insert(dialect_name: str) -> Any:
    return (
        dialect.insert(RunStepRow, dialect_name)
        .values({name: sa.bindparam(name) for name in _STEP_COLUMNS})
        .on_conflict_do_nothing(index_elements=["run_id", "name", "attempt"])
    )


@functools.cache
def _running_runs(*, by_json_ids: bool) -> sa.Select[Any]:
    """The running runs among some ids, locked (PostgreSQL). ``by_json_ids`` (SQLite): the ids
    as one JSON array, so one statement serves any count, and the state compared through a
    unary ``+`` so that SQLite walks the primary key, not the state index."""
    runs = RunRow.__table__
    if by_json_ids:
        ids: sa.Select[Any] = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("b_ids_json"))
        )
        state: sa.ColumnElement[Any] = sa.UnaryExpression(
            runs.c.state, operator=operators.custom_op("+"), type_=runs.c.state.type
        )
        where = sa.and_(runs.c.id.in_(ids), state == _RUNNING)
    else:
        where = sa.and_(
            runs.c.id.in_(sa.bindparam("b_ids", expanding=True)), runs.c.state == _RUNNING
        )
    return (
        sa.select(*(runs.c[name] for name in _Running._fields))
        .where(where)
        .order_by(runs.c.id)
        .with_for_update()
    )


@functools.cache
def _fenced_update() -> sa.Update:
    """A success, fenced: ``result`` and ``finished_at`` bound per run."""
    runs = RunRow.__table__.c
    return (
        sa.update(RunRow)
        .where(
            runs.id == sa.bindparam("b_id"),
            runs.worker_id == sa.bindparam("b_worker"),
            runs.attempt == sa.bindparam("b_attempt"),
            runs.state == _RUNNING,
        )
        .values(
            state=domain.RunState.SUCCEEDED.value,
            result=sa.bindparam("result", type_=runs.result.type),
            error=None,
            reason=None,
            started_at=sa.bindparam("started_at", type_=runs.started_at.type),
            finished_at=sa.bindparam("finished_at", type_=runs.finished_at.type),
            lease_expires_at=None,
        )
    )
