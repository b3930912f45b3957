"""Bodies of ``PUT .../by-name/{name}``: the create bodies, with the name in the path (a name in
the body too must be the same)."""

from __future__ import annotations

from cronwright import errors
from cronwright.api.schemas.alert_channels import AlertChannelCreate
from cronwright.api.schemas.common import Name
from cronwright.api.schemas.schedules import ScheduleCreate
from cronwright.api.schemas.workflows import WorkflowCreate


class WorkflowPut(WorkflowCreate):
    """The workflow named in the path, as it should be."""

    name: Name | None = None  # type: ignore[assignment]


class SchedulePut(ScheduleCreate):
    """The schedule named in the path, as it should be: every field left out takes its default,
    as for a new schedule."""

    name: Name | None = None  # type: ignore[assignment]


class AlertChannelPut(AlertChannelCreate):
    """The alert channel named in the path, as it should be (``secret`` left out: unsigned)."""

    name: Name | None = None  # type: ignore[assignment]


def named(path_name: str, body_name: str | None) -> str:
    """The name to use: the path's, which a name in the body must repeat."""
    if body_name is not None and body_name != path_name:
        raise errors.InvalidInput(
            field="name", message=f"is {body_name!r} but the path names {path_name!r}"
        )
    return path_name
