"""Refuse oversized request bodies before anything reads them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from cronwright.api.errors import problem

MAX_BODY_BYTES = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self.max_bytes:
                response = problem(
                    413,
                    f"the request body must be at most {self.max_bytes} bytes",
                    instance=str(scope["path"]),
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
