"""Typed ids: an ``int`` at runtime, a distinct type to mypy, so different ids never mix."""

from __future__ import annotations

from typing import NewType

# Ids are BIGINT, but never reach 2**53: bounded there, every id is exact as a JSON number in
# any client (and in schema validators that read numbers as doubles).
MAX_ID = 2**53 - 1

OrganizationId = NewType("OrganizationId", int)
ApiKeyId = NewType("ApiKeyId", int)
WorkflowId = NewType("WorkflowId", int)
ScheduleId = NewType("ScheduleId", int)
ScheduleVersionId = NewType("ScheduleVersionId", int)
RunId = NewType("RunId", int)
RunStepId = NewType("RunStepId", int)
