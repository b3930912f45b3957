"""Organizations, their quotas, and API keys (the secret is shown once; only its hash is kept)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from cronwright import clock, domain, errors
from cronwright.store import contracts

TOKEN_PREFIX = "cw"
_TOKEN = re.compile(r"cw_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
# A key's last use is recorded at most this often, so authenticating is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: str, *, field: str = "name", max_length: int = 200) -> str:
    name = name.strip()
    if not name:
        raise errors.InvalidInput(field=field, message="must not be empty")
    if len(name) > max_length:
        raise errors.InvalidInput(field=field, message=f"must be at most {max_length} characters")
    return name


def check_quota(value: int, field: str) -> int:
    if value < 0:
        raise errors.InvalidInput(field=field, message="must not be negative")
    return value


class Organizations:
    def __init__(self, store: contracts.Catalog, clock: clock.Clock) -> None:
        self._store = store
        self._clock = clock

    def create(
        self,
        name: str,
        *,
        max_schedules: int = domain.organization.DEFAULT_MAX_SCHEDULES,
        max_concurrent_runs: int = domain.organization.DEFAULT_MAX_CONCURRENT_RUNS,
    ) -> domain.Organization:
        return self._store.create_organization(
            name=check_name(name),
            max_schedules=check_quota(max_schedules, "max_schedules"),
            max_concurrent_runs=check_quota(max_concurrent_runs, "max_concurrent_runs"),
            now=self._clock.now(),
        )

    def get(self, org_id: domain.OrganizationId) -> domain.Organization:
        return self._store.get_organization(org_id)

    def set_quotas(
        self, org_id: domain.OrganizationId, *, max_schedules: int, max_concurrent_runs: int
    ) -> domain.Organization:
        return self._store.set_organization_quotas(
            org_id,
            max_schedules=check_quota(max_schedules, "max_schedules"),
            max_concurrent_runs=check_quota(max_concurrent_runs, "max_concurrent_runs"),
        )

    def issue_api_key(
        self, org_id: domain.OrganizationId, *, name: str, role: domain.Role
    ) -> domain.IssuedApiKey:
        """A new key; the returned ``token`` is the only copy of the secret anywhere."""
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = self._store.add_api_key(
            org_id=org_id,
            name=check_name(name),
            role=role,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            now=self._clock.now(),
        )
        return domain.IssuedApiKey(key=key, token=f"{TOKEN_PREFIX}_{prefix}_{secret}")

    def list_api_keys(self, org_id: domain.OrganizationId) -> list[domain.ApiKey]:
        return self._store.list_api_keys(org_id)

    def revoke_api_key(
        self, org_id: domain.OrganizationId, key_id: domain.ApiKeyId
    ) -> domain.ApiKey:
        return self._store.revoke_api_key(org_id, key_id, now=self._clock.now())

    def authenticate(self, token: str) -> domain.ApiKey:
        """The live key a bearer token belongs to; ``AuthenticationFailed`` for anything else,
        without saying whether the key is unknown, wrong or revoked."""
        match = _TOKEN.fullmatch(token)
        key = self._store.find_api_key(match.group(1)) if match else None
        if match is None or key is None or key.is_revoked:
            raise errors.AuthenticationFailed()
        if not hmac.compare_digest(key.secret_hash, hash_secret(match.group(2))):
            raise errors.AuthenticationFailed()
        now = self._clock.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            self._store.touch_api_key(key.id, now=now)
        return key
