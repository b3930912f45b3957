"""API keys of the caller's organization (admins only). A secret is shown once, at creation."""

from __future__ import annotations

from fastapi import APIRouter, status

from cronwright import domain
from cronwright.api.auth import Admin
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.params import ApiKeyIdPath
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import organization as schemas

router = APIRouter(prefix=f"{API_PREFIX}/api-keys", tags=["api keys"])


@router.post(
    "",
    operation_id="createApiKey",
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 401, 403, 422),
)
def create_api_key(
    caller: Admin, body: schemas.ApiKeyCreate, service: ServiceDep
) -> schemas.IssuedApiKeyOut:
    issued = service.organizations.issue_api_key(caller.org_id, name=body.name, role=body.role)
    return schemas.IssuedApiKeyOut(
        **schemas.ApiKeyOut.of(issued.key).model_dump(), token=issued.token
    )


@router.get("", operation_id="listApiKeys", responses=problems(400, 401, 403))
def list_api_keys(caller: Admin, service: ServiceDep) -> list[schemas.ApiKeyOut]:
    """Every key of the organization, revoked ones included; never a secret."""
    return [schemas.ApiKeyOut.of(key) for key in service.organizations.list_api_keys(caller.org_id)]


@router.delete(
    "/{key_id}",
    operation_id="revokeApiKey",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(400, 401, 403, 404),
)
def revoke_api_key(caller: Admin, key_id: ApiKeyIdPath, service: ServiceDep) -> None:
    """The key stops working at once. Revoking a revoked key changes nothing."""
    service.organizations.revoke_api_key(caller.org_id, domain.ApiKeyId(key_id))
