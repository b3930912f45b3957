"""The caller's organization, its quotas, and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cronwright import domain
from cronwright.api.schemas.common import FROM_TEXT, Name, Out, Strict

Quota = Annotated[int, Field(ge=0, le=1_000_000)]


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


class QuotasIn(Strict):
    max_schedules: Quota
    max_concurrent_runs: Quota


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
