from __future__ import annotations

from datetime import timedelta

import pytest

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.store.catalog import sql_catalog


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(
    svc: service.Service, sqlite_store: sql_catalog.SqlCatalog, org: domain.Organization
) -> None:
    issued = svc.organizations.issue_api_key(org.id, name="deploy", role=domain.Role.EDITOR)
    secret = issued.token.removeprefix(f"cw_{issued.key.prefix}_")  # may itself contain "_"
    assert len(secret) >= 40
    stored = sqlite_store.find_api_key(issued.key.prefix)
    assert stored == issued.key
    assert secret not in repr(stored)
    assert issued.token not in repr(svc.organizations.list_api_keys(org.id))
    assert svc.organizations.authenticate(issued.token) == issued.key


def test_wrong_malformed_and_revoked_keys_are_refused_alike(
    svc: service.Service, org: domain.Organization, clock: FakeClock
) -> None:
    issued = svc.organizations.issue_api_key(org.id, name="ci", role=domain.Role.VIEWER)
    secret = issued.token.removeprefix(f"cw_{issued.key.prefix}_")
    forged = f"cw_{issued.key.prefix}_{'x' * len(secret)}"
    unknown = f"cw_{'0' * 12}_{secret}"
    for token in (forged, unknown, "", "Bearer " + issued.token, issued.token + "x"):
        with pytest.raises(errors.AuthenticationFailed, match=r"^invalid API key$"):
            svc.organizations.authenticate(token)
    clock.advance(timedelta(seconds=5))
    revoked = svc.organizations.revoke_api_key(org.id, issued.key.id)
    assert revoked.revoked_at == clock.now()
    with pytest.raises(errors.AuthenticationFailed):
        svc.organizations.authenticate(issued.token)


def test_use_is_recorded_at_most_once_a_minute(
    svc: service.Service, org: domain.Organization, clock: FakeClock
) -> None:
    issued = svc.organizations.issue_api_key(org.id, name="ci", role=domain.Role.ADMIN)
    first_use = clock.now()
    svc.organizations.authenticate(issued.token)
    clock.advance(timedelta(seconds=30))
    svc.organizations.authenticate(issued.token)
    [key] = svc.organizations.list_api_keys(org.id)
    assert key.last_used_at == first_use
    clock.advance(timedelta(seconds=30))
    svc.organizations.authenticate(issued.token)
    [key] = svc.organizations.list_api_keys(org.id)
    assert key.last_used_at == clock.now()
