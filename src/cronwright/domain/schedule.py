"""Schedules, their versions (full snapshots) and their audit trail.

A :class:`ScheduleSpec` is everything a user sets; every change stores a new
:class:`ScheduleVersion` holding the whole spec, so any two versions can be compared and any one
restored. Identity (``id``, ``hash_key``) and bookkeeping (``next_fire_at``) are not in the spec.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from cronwright import errors
from cronwright.domain.enums import (
    CatchupPolicy,
    DstFoldPolicy,
    DstGapPolicy,
    OverlapPolicy,
    ScheduleEventKind,
)
from cronwright.domain.ids import OrganizationId, ScheduleId, ScheduleVersionId, WorkflowId
from cronwright.domain.json_values import JsonObject, JsonValue

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CATCHUP_WINDOW = timedelta(hours=24)
DEFAULT_MISFIRE_GRACE = timedelta(minutes=10)
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_INITIAL = timedelta(seconds=5)
DEFAULT_BACKOFF_FACTOR = 2.0
DEFAULT_BACKOFF_MAX = timedelta(minutes=10)
DEFAULT_TIMEOUT = timedelta(hours=1)
MAX_ATTEMPTS = 100
RETRY_FIELDS = ("max_attempts", "backoff_initial", "backoff_factor", "backoff_max")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSpec:
    """What a schedule does and when; defaults follow the design (catch up the latest slot,
    3 attempts, 5 s initial backoff doubling each time)."""

    workflow_id: WorkflowId
    name: str
    cron: str
    timezone: str = DEFAULT_TIMEZONE
    paused: bool = False
    start_at: datetime | None = None
    end_at: datetime | None = None
    input: JsonObject = field(default_factory=dict)
    dst_gap: DstGapPolicy = DstGapPolicy.AUTO
    dst_fold: DstFoldPolicy = DstFoldPolicy.AUTO
    catchup: CatchupPolicy = CatchupPolicy.LATEST
    catchup_window: timedelta = DEFAULT_CATCHUP_WINDOW
    misfire_grace: timedelta = DEFAULT_MISFIRE_GRACE
    overlap: OverlapPolicy = OverlapPolicy.ALLOW
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_initial: timedelta = DEFAULT_BACKOFF_INITIAL
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    backoff_max: timedelta = DEFAULT_BACKOFF_MAX
    timeout: timedelta = DEFAULT_TIMEOUT
    jitter: timedelta = timedelta(0)

    def replace(self, **changes: Any) -> ScheduleSpec:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> JsonObject:
        """The snapshot stored with each version: JSON only, durations in whole microseconds."""
        return {f.name: _to_json(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: JsonObject) -> ScheduleSpec:
        # Decoders looked up once (a claim reads the snapshot of every schedule it runs).
        return cls(**{name: decode(data[name]) for name, decode in _SPEC_DECODING if name in data})


SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ScheduleSpec))


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryDefaults:
    """The retry policy a new schedule gets for the retry fields its creator leaves out: the
    operator's (``CRONWRIGHT_RETRY_*``), else the design's. Taken once, at creation: a schedule
    keeps its values when the defaults change later."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_initial: timedelta = DEFAULT_BACKOFF_INITIAL
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    backoff_max: timedelta = DEFAULT_BACKOFF_MAX

    def __post_init__(self) -> None:
        # Refused here, not at the first schedule: defaults no schedule could have are a bug.
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise errors.InvalidInput(
                field="max_attempts", message=f"must be between 1 and {MAX_ATTEMPTS}"
            )
        if not self.backoff_factor >= 1:  # also refuses NaN
            raise errors.InvalidInput(field="backoff_factor", message="must be at least 1")
        if self.backoff_initial < timedelta(0):
            raise errors.InvalidInput(field="backoff_initial", message="must not be negative")
        if self.backoff_max < self.backoff_initial:
            raise errors.InvalidInput(
                field="backoff_max", message="must be at least backoff_initial"
            )

    def spec(self, **fields: Any) -> ScheduleSpec:
        """A spec of ``fields``; each retry field missing from them (or None) is this default."""
        chosen: dict[str, Any] = {name: getattr(self, name) for name in RETRY_FIELDS}
        chosen.update(
            (name, value)
            for name, value in fields.items()
            if not (name in RETRY_FIELDS and value is None)
        )
        return ScheduleSpec(**chosen)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    id: ScheduleId
    org_id: OrganizationId
    hash_key: str  # stable seed for H fields: set at creation, survives renames and rollbacks
    spec: ScheduleSpec
    next_fire_at: datetime | None  # None while paused or once the schedule can never fire again
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSchedule:
    """A validated schedule to insert; the store assigns the id and starts it at version 1."""

    spec: ScheduleSpec
    hash_key: str
    next_fire_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleVersion:
    id: ScheduleVersionId
    schedule_id: ScheduleId
    version: int
    spec: ScheduleSpec
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEvent:
    id: int
    schedule_id: ScheduleId
    kind: ScheduleEventKind
    version: int  # the schedule's version after the event
    author: str
    created_at: datetime
    detail: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldChange:
    field: str
    old: JsonValue
    new: JsonValue


def diff_specs(old: ScheduleSpec, new: ScheduleSpec) -> tuple[FieldChange, ...]:
    """Fields that differ, in declaration order, with JSON values (as snapshots store them)."""
    before, after = old.to_json(), new.to_json()
    return tuple(
        FieldChange(field=name, old=before[name], new=after[name])
        for name in SPEC_FIELDS
        if before[name] != after[name]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleFilter:
    workflow_id: WorkflowId | None = None
    paused: bool | None = None
    name_contains: str | None = None  # case-insensitive substring


def _to_json(value: object) -> JsonValue:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return value
    raise TypeError(f"cannot snapshot {value!r}")


def _identity(value: JsonValue) -> JsonValue:
    return value


def _micros(value: JsonValue) -> timedelta:
    assert isinstance(value, int)
    return timedelta(microseconds=value)


def _instant(value: JsonValue) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


_SPEC_DECODERS: dict[str, Any] = {
    "start_at": _instant,
    "end_at": _instant,
    "dst_gap": DstGapPolicy,
    "dst_fold": DstFoldPolicy,
    "catchup": CatchupPolicy,
    "overlap": OverlapPolicy,
    "catchup_window": _micros,
    "misfire_grace": _micros,
    "backoff_initial": _micros,
    "backoff_max": _micros,
    "timeout": _micros,
    "jitter": _micros,
    "backoff_factor": float,
}
# (field, decoder) in field order.
_SPEC_DECODING: tuple[tuple[str, Any], ...] = tuple(
    (f.name, _SPEC_DECODERS.get(f.name, _identity)) for f in dataclasses.fields(ScheduleSpec)
)
