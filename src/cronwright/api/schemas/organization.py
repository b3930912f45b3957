"""The caller's organization, its quotas, and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cronwright import domain
from cronwright.api.schemas.common import FROM_TEXT, Name, Out, Strict


class OrganizationOut(Out):
    id: int
    name: str
    max_schedules: int
    max_concurrent_runs: int
    schedule_count: int = Field(description="Live schedules, counted against max_schedules.")
    created_at: datetime

    @classmethod
    def of(cls, org: domain.Organization) -> OrganizationOut:
        return cls(
            id=org.id,
            name=org.name,
            max_schedules=org.max_schedules,
            max_concurrent_runs=org.max_concurrent_runs,
            schedule_count=org.schedule_count,
            created_at=org.created_at,
        )


class QuotasOut(Out):
    """Set by the operator; an organization cannot change its own."""

    max_schedules: int = Field(description="Live schedules the organization may have.")
    max_concurrent_runs: int = Field(description="Runs of the organization running at once.")
    schedule_count: int = Field(description="Live schedules, counted against max_schedules.")

    @classmethod
    def of(cls, org: domain.Organization) -> QuotasOut:
        return cls(
            max_schedules=org.max_schedules,
            max_concurrent_runs=org.max_concurrent_runs,
            schedule_count=org.schedule_count,
        )


class ApiKeyCreate(Strict):
    name: Name = Field(examples=["deploy bot"])
    role: Annotated[domain.Role, FROM_TEXT]


class ApiKeyOut(Out):
    id: int
    name: str
    role: domain.Role
    prefix: str = Field(description="Public part of the token; identifies the key in logs.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: domain.ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class IssuedApiKeyOut(ApiKeyOut):
    token: str = Field(
        description="The secret bearer token. Shown only in this response; store it now.",
        examples=["cw_0123456789ab_QmFzZTY0IHNlY3JldCBoZXJlIHRoYXQgaXMgbG9uZw"],
    )
