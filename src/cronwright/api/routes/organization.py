"""The caller's organization and its quotas. Quotas are read-only here: they belong to the
operator (``cronwright org quotas``), not to the tenant they limit."""

from __future__ import annotations

from fastapi import APIRouter

from cronwright.api.auth import Viewer
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import organization as schemas

router = APIRouter(prefix=f"{API_PREFIX}/organization", tags=["organization"])


@router.get("", operation_id="getOrganization", responses=problems(400, 401))
def get_organization(caller: Viewer, service: ServiceDep) -> schemas.OrganizationOut:
    return schemas.OrganizationOut.of(service.organizations.get(caller.org_id))


@router.get("/quotas", operation_id="getQuotas", responses=problems(400, 401))
def get_quotas(caller: Viewer, service: ServiceDep) -> schemas.QuotasOut:
    """The organization's quotas and what counts against them. Only the operator changes them
    (`cronwright org quotas`); any other method here is 405."""
    return schemas.QuotasOut.of(service.organizations.get(caller.org_id))
