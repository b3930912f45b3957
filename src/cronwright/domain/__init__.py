"""Domain values: frozen dataclasses, enums and typed ids shared by every layer above.

Instants are aware UTC and end in ``_at``; durations are ``timedelta``.
"""

from cronwright.domain.capabilities import Capabilities
from cronwright.domain.enums import (
    TERMINAL_RUN_STATES,
    AlertChannelKind,
    AlertDeliveryState,
    CatchupPolicy,
    DstFoldPolicy,
    DstGapPolicy,
    OverlapPolicy,
    Role,
    RunState,
    ScheduleEventKind,
    Trigger,
)
from cronwright.domain.ids import (
    ApiKeyId,
    OrganizationId,
    RunId,
    RunStepId,
    ScheduleId,
    ScheduleVersionId,
    WorkflowId,
)
from cronwright.domain.json_values import JsonObject, JsonValue, canonical_json, json_digest
from cronwright.domain.organization import ApiKey, IssuedApiKey, Organization
from cronwright.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from cronwright.domain.run import NewRun, Run, RunFilter, RunOrigin, RunStep
from cronwright.domain.schedule import (
    RETRY_FIELDS,
    SPEC_FIELDS,
    FieldChange,
    NewSchedule,
    RetryDefaults,
    Schedule,
    ScheduleEvent,
    ScheduleFilter,
    ScheduleSpec,
    ScheduleVersion,
    diff_specs,
)
from cronwright.domain.workflow import (
    ACTION_KINDS,
    ConfigCheck,
    Step,
    Workflow,
    WorkflowDefinition,
    find_cycle,
    parse_definition,
)

__all__ = [
    "ACTION_KINDS",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "RETRY_FIELDS",
    "SPEC_FIELDS",
    "TERMINAL_RUN_STATES",
    "AlertChannelKind",
    "AlertDeliveryState",
    "ApiKey",
    "ApiKeyId",
    "Capabilities",
    "CatchupPolicy",
    "ConfigCheck",
    "DstFoldPolicy",
    "DstGapPolicy",
    "FieldChange",
    "IssuedApiKey",
    "JsonObject",
    "JsonValue",
    "NewRun",
    "NewSchedule",
    "Organization",
    "OrganizationId",
    "OverlapPolicy",
    "Page",
    "RetryDefaults",
    "Role",
    "Run",
    "RunFilter",
    "RunId",
    "RunOrigin",
    "RunState",
    "RunStep",
    "RunStepId",
    "Schedule",
    "ScheduleEvent",
    "ScheduleEventKind",
    "ScheduleFilter",
    "ScheduleId",
    "ScheduleSpec",
    "ScheduleVersion",
    "ScheduleVersionId",
    "Step",
    "Trigger",
    "Workflow",
    "WorkflowDefinition",
    "WorkflowId",
    "canonical_json",
    "diff_specs",
    "find_cycle",
    "json_digest",
    "parse_definition",
]
