"""Every error cronwright raises on purpose derives from :class:`CronwrightError`.

Lookups also derive from :class:`LookupError` and carry the id that was not found, so callers can
catch broadly (``CronwrightError``), generically (``LookupError``) or precisely.
"""

from __future__ import annotations


class CronwrightError(Exception):
    """Base for every error cronwright raises deliberately."""


class CronSyntaxError(CronwrightError, ValueError):
    """A cron expression that cannot be parsed, with the place that is wrong.

    ``field`` names the cron field (``"minute"``, ``"day of week"``, ...) or is ``"expression"``
    when the whole text is at fault; ``column`` is the 1-based position of ``token`` in the text.
    """

    def __init__(self, reason: str, *, field: str, column: int, token: str, text: str) -> None:
        self.reason = reason
        self.field = field
        self.column = column
        self.token = token
        self.text = text
        super().__init__(f"{field}: {reason} (column {column})")

    def caret_lines(self) -> tuple[str, str]:
        """The expression and a line with ``^`` under the offending token, for terminals."""
        width = max(1, len(self.token))
        return self.text, " " * (self.column - 1) + "^" * width


class NotFound(CronwrightError, LookupError):  # noqa: N818 - the public names callers catch
    """Something looked up by id does not exist, or belongs to another organization.

    Another organization's row is reported exactly like a missing one, so ids reveal nothing.
    """

    kind = "object"

    def __init__(self, object_id: object) -> None:
        super().__init__(f"no {self.kind} with id {object_id!r}")
        self.id = object_id


class OrganizationNotFound(NotFound):
    kind = "organization"


class ApiKeyNotFound(NotFound):
    kind = "API key"


class WorkflowNotFound(NotFound):
    kind = "workflow"


class ScheduleNotFound(NotFound):
    kind = "schedule"


class RunNotFound(NotFound):
    kind = "run"


class ScheduleVersionNotFound(NotFound):
    """A version number that the schedule never had; ``id`` is ``(schedule_id, version)``."""

    kind = "schedule version"


class WorkflowVersionNotFound(NotFound):
    """A version number that the workflow never had; ``id`` is ``(workflow_id, version)``."""

    kind = "workflow version"


class InvalidInput(CronwrightError, ValueError):  # noqa: N818 - the public names callers catch
    """Input that breaks a rule; ``field`` names the input at fault (dotted path for nesting)."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(CronwrightError):  # noqa: N818 - the public names callers catch
    """The change would break a uniqueness rule or contradict the current state."""


class NameTaken(Conflict):
    """Names of workflows, schedules and alert channels are unique in an organization."""

    def __init__(self, kind: str, name: str, existing_id: int) -> None:
        super().__init__(f"{kind} {existing_id} is named {name!r} already")
        self.kind = kind
        self.name = name
        self.existing_id = existing_id


class ScheduleConflict(Conflict):
    """An organization already has a schedule with this workflow, expression, zone and input
    (``same_schedule``), or with this name (``same_name``); both are reported when both hold."""

    def __init__(self, same_schedule: int | None = None, *, same_name: int | None = None) -> None:
        found = []
        if same_name is not None:
            found.append(f"schedule {same_name} has the same name")
        if same_schedule is not None:
            found.append(
                f"schedule {same_schedule} already runs this workflow with the same expression, "
                "time zone and input"
            )
        super().__init__("; ".join(found) or "a schedule conflicts with this one")
        self.same_schedule = same_schedule
        self.same_name = same_name
        existing = same_name if same_name is not None else same_schedule
        assert existing is not None, "a conflict names the schedule it conflicts with"
        self.existing_id: int = existing


class PreconditionFailed(Conflict):
    """A conditional write whose condition no longer holds: the version it names has moved on
    (:class:`StaleVersion`), or what it was to create exists already, or what it was to change
    is gone. ``condition`` names what was checked (``If-Match``, ``If-None-Match``)."""

    def __init__(self, message: str, *, condition: str = "If-Match") -> None:
        super().__init__(message)
        self.condition = condition


class StaleVersion(PreconditionFailed):
    """An update named the version it expected, and the row has moved on since."""

    def __init__(self, object_id: object, *, expected: int, actual: int) -> None:
        super().__init__(f"{object_id!r} is at version {actual}, not {expected}")
        self.id = object_id
        self.expected = expected
        self.actual = actual


class QuotaExceeded(CronwrightError):  # noqa: N818 - the public names callers catch
    """An organization reached one of its limits."""

    def __init__(self, *, quota: str, limit: int, organization: str | None = None) -> None:
        flag = f" --org {organization}" if organization is not None else ""
        super().__init__(
            f"the organization's {quota} quota of {limit} is reached; the operator sets quotas "
            f"with `cronwright org quotas{flag}`, or App({quota}=...) in a script"
        )
        self.quota = quota
        self.limit = limit


class AuthenticationFailed(CronwrightError):  # noqa: N818 - the public names callers catch
    """An API key that is malformed, unknown or revoked; the message never says which."""

    def __init__(self) -> None:
        super().__init__("invalid API key")


class PermissionDenied(CronwrightError):  # noqa: N818 - the public names callers catch
    """A valid API key whose role is too low for the request (never about another org's rows)."""

    def __init__(self, *, required: str, role: str) -> None:
        super().__init__(f"this needs the {required} role; the API key has the {role} role")
        self.required = required
        self.role = role


class AlertChannelNotFound(NotFound):
    kind = "alert channel"


class TemplateNotFound(NotFound):
    kind = "template"


class AlertDeliveryFailed(CronwrightError):  # noqa: N818 - the public names callers catch
    """A channel did not take an alert (refused, unreachable, timed out); the message says how
    and is recorded on the delivery attempt, for the operator. ``public`` is what the
    organization may be told: a class of failure that says nothing of the network behind."""

    NOT_DELIVERED = "not delivered: the channel did not accept the alert"

    def __init__(self, message: str, *, public: str = NOT_DELIVERED) -> None:
        super().__init__(message)
        self.public = public


class DuplicateNames(CronwrightError):  # noqa: N818 - the public names callers catch
    """A database cannot take a uniqueness rule until the rows that break it are dealt with."""

    def __init__(self, duplicates: list[str]) -> None:
        super().__init__(
            "names of workflows, schedules and alert channels are unique in an organization "
            "from now on, and this database has duplicates; rename or delete all but one of "
            "each, then upgrade again:\n" + "\n".join(f"  {line}" for line in duplicates)
        )
        self.duplicates = duplicates
