"""Bearer API keys: who is calling, for which organization, and whether their role suffices.

Each route names the least role it needs with one of :data:`Viewer`, :data:`Editor` or
:data:`Admin`; the access-matrix test reads that requirement back from the route table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from cronwright import domain, errors
from cronwright.api.container import Container
from cronwright.api.deps import ContainerDep
from cronwright.service import throttle

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


CALLER = "cronwright_caller"  # where AuthenticateFirst leaves the caller in the request state


def bearer_token(authorization: str | None) -> str | None:
    scheme, token = get_authorization_scheme_param(authorization)
    return token if scheme.lower() == "bearer" and token else None


def authorize(
    container: Container, token: str | None, *, address: str | None, role: domain.Role
) -> Caller:
    """The caller a bearer token names, if its role is at least ``role``. Failed attempts are
    counted per client address and key prefix; too many answer 429 for a while."""
    if token is None:
        raise errors.AuthenticationFailed()
    key = throttle.authenticate(
        container.service.organizations, container.throttle, token, address=address
    )
    if RANK[key.role] < RANK[role]:
        raise errors.PermissionDenied(required=role.value, role=key.role.value)
    return Caller(key)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


class Authorize:
    """A dependency that authenticates the bearer key and demands at least ``role``.

    Under :class:`cronwright.api.gate.AuthenticateFirst` the work is already done, before the
    body was read; the caller it found is reused."""

    def __init__(self, role: domain.Role) -> None:
        self.role = role

    def __call__(
        self,
        request: Request,
        container: ContainerDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        found = getattr(request.state, CALLER, None)
        if isinstance(found, Caller) and RANK[found.key.role] >= RANK[self.role]:
            return found
        token = credentials.credentials if credentials else None
        return authorize(container, token, address=client_address(request), role=self.role)


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
