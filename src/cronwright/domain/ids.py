"""Typed ids: an ``int`` at runtime, a distinct type to mypy, so different ids never mix."""

from __future__ import annotations

from typing import NewType

OrganizationId = NewType("OrganizationId", int)
ApiKeyId = NewType("ApiKeyId", int)
WorkflowId = NewType("WorkflowId", int)
ScheduleId = NewType("ScheduleId", int)
ScheduleVersionId = NewType("ScheduleVersionId", int)
RunId = NewType("RunId", int)
RunStepId = NewType("RunStepId", int)
