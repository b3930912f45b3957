"""The caller's organization and its quotas (admins change quotas)."""

from __future__ import annotations

from fastapi import APIRouter

from cronwright.api.auth import Admin, Viewer
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import organization as schemas

router = APIRouter(prefix=f"{API_PREFIX}/organization", tags=["organization"])


@router.get("", operation_id="getOrganization", responses=problems(400, 401))
def get_organization(caller: Viewer, service: ServiceDep) -> schemas.OrganizationOut:
    return schemas.OrganizationOut.of(service.organizations.get(caller.org_id))


@router.put("/quotas", operation_id="setQuotas", responses=problems(400, 401, 403, 422))
def set_quotas(
    caller: Admin, body: schemas.QuotasIn, service: ServiceDep
) -> schemas.OrganizationOut:
    """Lowering `max_schedules` below the count deletes nothing; it stops new schedules."""
    org = service.organizations.set_quotas(
        caller.org_id,
        max_schedules=body.max_schedules,
        max_concurrent_runs=body.max_concurrent_runs,
    )
    return schemas.OrganizationOut.of(org)
