"""Authenticate before anything reads the request body.

FastAPI reads and validates a route's body before it runs the route's dependencies, so without
this an anonymous client could make the server buffer a body, and learn from a 400 what is wrong
with it, before being told it is not signed in. This middleware finds the route a request is for
and, when that route needs a role, checks the bearer key first: 401, 403 or 429 go out without
reading a byte of the body. The caller it found is left in the request state for the route.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from cronwright import domain, errors
from cronwright.api import auth
from cronwright.api.container import Container
from cronwright.api.errors import domain_problem


class AuthenticateFirst:
    def __init__(self, app: ASGIApp, *, container: Container, routes: Sequence[APIRoute]) -> None:
        self.app = app
        self.container = container
        self.guarded = [
            (route, role) for route in routes if (role := auth.required_role(route)) is not None
        ]

    def _guard_for(self, scope: Scope) -> tuple[APIRoute, domain.Role] | None:
        for route, role in self.guarded:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route, role
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = self._guard_for(scope) if scope["type"] == "http" else None
        if guard is None:
            await self.app(scope, receive, send)
            return
        route, role = guard
        request = Request(scope)
        token = auth.bearer_token(request.headers.get("authorization"))
        try:
            caller = await run_in_threadpool(
                auth.authorize,
                self.container,
                token,
                address=auth.client_address(request),
                role=role,
            )
        except errors.CronwrightError as exc:
            scope["route"] = route  # so that metrics count refusals under the route's template
            await domain_problem(request, exc)(scope, receive, send)
            return
        scope.setdefault("state", {})[auth.CALLER] = caller
        await self.app(scope, receive, send)
