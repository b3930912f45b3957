"""Bearer API keys: who is calling, for which organization, and whether their role suffices.

Each route names the least role it needs with one of :data:`Viewer`, :data:`Editor` or
:data:`Admin`; the access-matrix test reads that requirement back from the route table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cronwright import domain, errors
from cronwright.api.deps import ServiceDep

RANK = {domain.Role.VIEWER: 0, domain.Role.EDITOR: 1, domain.Role.ADMIN: 2}

bearer = HTTPBearer(
    auto_error=False,  # a missing key is our 401 problem, not FastAPI's 403
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer cw_<prefix>_<secret>`.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    key: domain.ApiKey

    @property
    def org_id(self) -> domain.OrganizationId:
        return self.key.org_id

    @property
    def author(self) -> str:
        """How the audit trail names this caller."""
        return f"api-key:{self.key.prefix}"


class Authorize:
    """A dependency that authenticates the bearer key and demands at least ``role``."""

    def __init__(self, role: domain.Role) -> None:
        self.role = role

    def __call__(
        self,
        service: ServiceDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None:
            raise errors.AuthenticationFailed()
        key = service.organizations.authenticate(credentials.credentials)
        if RANK[key.role] < RANK[self.role]:
            raise errors.PermissionDenied(required=self.role.value, role=key.role.value)
        return Caller(key)


Viewer = Annotated[Caller, Depends(Authorize(domain.Role.VIEWER))]
Editor = Annotated[Caller, Depends(Authorize(domain.Role.EDITOR))]
Admin = Annotated[Caller, Depends(Authorize(domain.Role.ADMIN))]


def required_role(route: APIRoute) -> domain.Role | None:
    """The role a route demands (None for public routes), read from its dependency tree."""
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Authorize):
            return dependant.call.role
        pending.extend(dependant.dependencies)
    return None
