"""Organizations (tenants) and the API keys that act for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cronwright.domain.enums import Role
from cronwright.domain.ids import ApiKeyId, OrganizationId

DEFAULT_MAX_SCHEDULES = 1000
DEFAULT_MAX_CONCURRENT_RUNS = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    id: OrganizationId
    name: str
    max_schedules: int = DEFAULT_MAX_SCHEDULES
    max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS
    schedule_count: int = 0  # live (not deleted) schedules; kept exact by the store
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A key as stored: the secret itself is never kept, only ``prefix`` and ``secret_hash``."""

    id: ApiKeyId
    org_id: OrganizationId
    name: str
    role: Role
    prefix: str  # public, unique; finds the key without scanning hashes
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedApiKey:
    """A new key together with its secret token, which exists only in this value."""

    key: ApiKey
    token: str
