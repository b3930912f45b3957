"""Schedules as the API shows them: the spec's fields, durations in seconds (``*_seconds``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, JsonValue, model_validator

from cronwright import domain
from cronwright.api.schemas.common import (
    FROM_TEXT,
    JSON_INTEGER,
    Id,
    Instant,
    JsonDocument,
    Name,
    Out,
    Strict,
    as_json_object,
    clean_text,
)
from cronwright.domain import schedule as domain_schedule
from cronwright.service import validation

MAX_DURATION = timedelta(days=366)
DURATION_FIELDS = (
    "catchup_window",
    "misfire_grace",
    "backoff_initial",
    "backoff_max",
    "timeout",
    "jitter",
)
NULLABLE = frozenset({"start_at", "end_at"})

Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION.total_seconds())]
CronText = Annotated[
    str,
    Field(min_length=1, max_length=validation.MAX_CRON_LENGTH, examples=["0 9 * * MON-FRI"]),
    AfterValidator(clean_text),
]
Zone = Annotated[
    str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"]), AfterValidator(clean_text)
]
Attempts = Annotated[int, Field(ge=1, le=validation.MAX_ATTEMPTS, strict=False), JSON_INTEGER]
Factor = Annotated[float, Field(ge=1, le=100)]
Timeout = Annotated[float, Field(gt=0, le=MAX_DURATION.total_seconds())]


def api_name(spec_field: str) -> str:
    return f"{spec_field}_seconds" if spec_field in DURATION_FIELDS else spec_field


def spec_changes(values: dict[str, Any]) -> dict[str, Any]:
    """API field values -> spec field values (seconds become ``timedelta``)."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        spec_field = name.removesuffix("_seconds")
        if spec_field in DURATION_FIELDS:
            changes[spec_field] = timedelta(seconds=value)
        elif name == "input":
            changes[name] = as_json_object(value)
        else:
            changes[name] = value
    return changes


def _operator_default(variable: str, built_in: str) -> Any:
    # Unset (or null) is not the same as the built-in value: the operator may have changed it.
    return Field(
        default=None,
        description=f"Left out or null: the server's default ({built_in} unless the operator set "
        f"{variable}).",
    )


class ScheduleCreate(Strict):
    """A new schedule. Everything but ``workflow_id``, ``name`` and ``cron`` has a default; the
    retry fields default to the operator's settings."""

    workflow_id: Id = Field(description="A workflow of the caller's organization.")
    name: Name = Field(examples=["nightly report"])
    cron: CronText
    timezone: Zone = "UTC"
    paused: bool = False
    start_at: Instant | None = None
    end_at: Instant | None = None
    input: JsonDocument = Field(default_factory=dict, examples=[{"report": "sales"}])
    dst_gap: Annotated[domain.DstGapPolicy, FROM_TEXT] = domain.DstGapPolicy.AUTO
    dst_fold: Annotated[domain.DstFoldPolicy, FROM_TEXT] = domain.DstFoldPolicy.AUTO
    catchup: Annotated[domain.CatchupPolicy, FROM_TEXT] = domain.CatchupPolicy.LATEST
    catchup_window_seconds: Seconds = domain_schedule.DEFAULT_CATCHUP_WINDOW.total_seconds()
    misfire_grace_seconds: Seconds = domain_schedule.DEFAULT_MISFIRE_GRACE.total_seconds()
    overlap: Annotated[domain.OverlapPolicy, FROM_TEXT] = domain.OverlapPolicy.ALLOW
    max_attempts: Attempts | None = _operator_default("CRONWRIGHT_RETRY_MAX_ATTEMPTS", "3")
    backoff_initial_seconds: Seconds | None = _operator_default(
        "CRONWRIGHT_RETRY_BACKOFF_INITIAL", "5"
    )
    backoff_factor: Factor | None = _operator_default("CRONWRIGHT_RETRY_BACKOFF_FACTOR", "2")
    backoff_max_seconds: Seconds | None = _operator_default("CRONWRIGHT_RETRY_BACKOFF_MAX", "600")
    timeout_seconds: Timeout = domain_schedule.DEFAULT_TIMEOUT.total_seconds()
    jitter_seconds: Seconds = 0

    def spec_fields(self) -> dict[str, Any]:
        """Spec field values for ``Schedules.new_spec``; the retry fields left out are absent."""
        values = spec_changes(self.model_dump(exclude_none=True))
        values["workflow_id"] = domain.WorkflowId(values["workflow_id"])
        return values


def _non_null_schema(schema: dict[str, Any]) -> None:
    """PATCH fields are optional but only ``start_at``/``end_at`` may be null (to clear them)."""
    for name, prop in schema.get("properties", {}).items():
        prop.pop("default", None)
        options = prop.get("anyOf")
        if name in NULLABLE or not options:
            continue
        rest = [option for option in options if option.get("type") != "null"]
        if len(rest) == 1:
            del prop["anyOf"]
            prop.update(rest[0])


class ScheduleChanges(Strict):
    """A PATCH: only the fields present change. ``start_at``/``end_at`` may be null to clear."""

    model_config = Strict.model_config | {"json_schema_extra": _non_null_schema}

    workflow_id: Id | None = None
    name: Name | None = None
    cron: CronText | None = None
    timezone: Zone | None = None
    paused: bool | None = None
    start_at: Instant | None = None
    end_at: Instant | None = None
    input: JsonDocument | None = None
    dst_gap: Annotated[domain.DstGapPolicy, FROM_TEXT] | None = None
    dst_fold: Annotated[domain.DstFoldPolicy, FROM_TEXT] | None = None
    catchup: Annotated[domain.CatchupPolicy, FROM_TEXT] | None = None
    catchup_window_seconds: Seconds | None = None
    misfire_grace_seconds: Seconds | None = None
    overlap: Annotated[domain.OverlapPolicy, FROM_TEXT] | None = None
    max_attempts: Attempts | None = None
    backoff_initial_seconds: Seconds | None = None
    backoff_factor: Factor | None = None
    backoff_max_seconds: Seconds | None = None
    timeout_seconds: Timeout | None = None
    jitter_seconds: Seconds | None = None

    @model_validator(mode="after")
    def _only_ends_nullable(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE):
            if getattr(self, name) is None:
                raise ValueError(f"{name} must not be null")
        return self

    def to_changes(self) -> dict[str, Any]:
        return spec_changes(self.model_dump(include=self.model_fields_set))


class ScheduleSpecOut(Out):
    workflow_id: int
    name: str
    cron: str
    timezone: str
    paused: bool
    start_at: datetime | None
    end_at: datetime | None
    input: dict[str, JsonValue]
    dst_gap: domain.DstGapPolicy
    dst_fold: domain.DstFoldPolicy
    catchup: domain.CatchupPolicy
    catchup_window_seconds: float
    misfire_grace_seconds: float
    overlap: domain.OverlapPolicy
    max_attempts: int
    backoff_initial_seconds: float
    backoff_factor: float
    backoff_max_seconds: float
    timeout_seconds: float
    jitter_seconds: float

    @staticmethod
    def fields_of(spec: domain.ScheduleSpec) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in domain.SPEC_FIELDS:
            value = getattr(spec, name)
            values[api_name(name)] = value.total_seconds() if name in DURATION_FIELDS else value
        return values

    @classmethod
    def of(cls, spec: domain.ScheduleSpec) -> ScheduleSpecOut:
        return cls(**cls.fields_of(spec))


class ScheduleOut(ScheduleSpecOut):
    id: int
    version: int = Field(description="Also the schedule's ETag; send it back in If-Match.")
    next_fire_at: datetime | None = Field(description="None while paused or after the end.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_schedule(cls, schedule: domain.Schedule) -> ScheduleOut:
        return cls(
            id=schedule.id,
            version=schedule.version,
            next_fire_at=schedule.next_fire_at,
            created_at=schedule.created_at,
            updated_at=schedule.updated_at,
            **cls.fields_of(schedule.spec),
        )


class SchedulePage(Out):
    items: list[ScheduleOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class ScheduleVersionOut(Out):
    version: int
    author: str
    created_at: datetime
    spec: ScheduleSpecOut

    @classmethod
    def of(cls, version: domain.ScheduleVersion) -> ScheduleVersionOut:
        return cls(
            version=version.version,
            author=version.author,
            created_at=version.created_at,
            spec=ScheduleSpecOut.of(version.spec),
        )


class FieldChangeOut(Out):
    field: str
    old: JsonValue
    new: JsonValue

    @classmethod
    def of(cls, change: domain.FieldChange) -> FieldChangeOut:
        if change.field in DURATION_FIELDS:
            # Snapshots keep whole microseconds; the API speaks seconds.
            old, new = change.old, change.new
            assert isinstance(old, int)
            assert isinstance(new, int)
            return cls(field=api_name(change.field), old=old / 1e6, new=new / 1e6)
        return cls(field=change.field, old=change.old, new=change.new)


class ScheduleDiff(Out):
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class ScheduleEventOut(Out):
    id: int
    kind: domain.ScheduleEventKind
    version: int
    author: str
    created_at: datetime
    detail: dict[str, JsonValue]

    @classmethod
    def of(cls, event: domain.ScheduleEvent) -> ScheduleEventOut:
        return cls(
            id=event.id,
            kind=event.kind,
            version=event.version,
            author=event.author,
            created_at=event.created_at,
            detail=dict(event.detail),
        )


class RollbackRequest(Strict):
    version: Annotated[int, Field(ge=1, le=2**31 - 1, strict=False), JSON_INTEGER] = Field(
        description="The version whose spec becomes the new version."
    )


class PreviewFireOut(Out):
    at: datetime = Field(description="The fire instant in UTC.")
    local: datetime = Field(description="The same instant in the schedule's time zone.")
    dst: str | None = Field(
        description='"shifted", "first occurrence", "second occurrence" or null.'
    )


class PreviewOut(Out):
    description: str = Field(examples=["At 09:00, Monday through Friday"])
    timezone: str
    fires: list[PreviewFireOut]
