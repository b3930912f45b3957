"""Typed ids: an ``int`` at runtime, a distinct type to mypy, so different ids never mix."""

from __future__ import annotations

from typing import NewType

MAX_ID = 2**63 - 1  # ids are BIGINT: a larger number names no row on any backend

OrganizationId = NewType("OrganizationId", int)
ApiKeyId = NewType("ApiKeyId", int)
WorkflowId = NewType("WorkflowId", int)
ScheduleId = NewType("ScheduleId", int)
ScheduleVersionId = NewType("ScheduleVersionId", int)
RunId = NewType("RunId", int)
RunStepId = NewType("RunStepId", int)
