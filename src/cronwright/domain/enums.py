"""Every closed set of values the system stores. Values are the persisted and API spelling."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an API key may do inside its organization."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class CatchupPolicy(StrEnum):
    """What becomes of slots that passed while nothing could run them."""

    NONE = "none"  # mark them missed
    LATEST = "latest"  # run the newest, mark the rest missed
    ALL = "all"  # run each inside the catch-up window


class OverlapPolicy(StrEnum):
    """What a slot does when the schedule's previous run is still going."""

    ALLOW = "allow"
    SKIP = "skip"
    BUFFER_ONE = "buffer_one"
    BUFFER_ALL = "buffer_all"
    CANCEL_PREVIOUS = "cancel_previous"


class DstGapPolicy(StrEnum):
    """Local times that do not exist (spring forward); same values as ``cron.DstGap``."""

    AUTO = "auto"
    SHIFT = "shift"
    SKIP = "skip"


class DstFoldPolicy(StrEnum):
    """Local times that happen twice (fall back); same values as ``cron.DstFold``."""

    AUTO = "auto"
    FIRST = "first"
    LAST = "last"
    BOTH = "both"


class Trigger(StrEnum):
    """Why a run exists."""

    SCHEDULE = "schedule"
    MANUAL = "manual"
    BACKFILL = "backfill"
    RETRY = "retry"
    CHAIN = "chain"


class RunState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    MISSED = "missed"

    @property
    def is_terminal(self) -> bool:
        return self not in (RunState.PENDING, RunState.RUNNING)


TERMINAL_RUN_STATES = frozenset(state for state in RunState if state.is_terminal)


class ScheduleEventKind(StrEnum):
    """The audit trail of a schedule."""

    CREATED = "created"
    EDITED = "edited"
    PAUSED = "paused"
    RESUMED = "resumed"
    ROLLED_BACK = "rolled_back"
    DELETED = "deleted"


class AlertChannelKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class AlertDeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
