"""A request body limit enforced while the body streams in, for the dashboard and the API.

A declared ``Content-Length`` over the limit is refused before a byte is read. A chunked body
(no length) is counted as it arrives: once past the limit, reading stops and the client gets
413, whatever the route made of its cut-off body (FastAPI would call it malformed, a 400).
It lives here, below the API in the layers, so both the dashboard and the API can use it; each
says how to word the refusal.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[Scope, int], Response]  # (scope, limit in bytes) -> the 413 response


class BodyTooLarge(Exception):  # noqa: N818 - control flow inside one request
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, refuse: Refusal, under: str = "") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse
        self.under = under  # only paths below this; apps mounted elsewhere bring their own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self.under):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not (
            declared.isdigit() and len(declared) <= 19 and int(declared) <= self.max_bytes
        ):
            await self.refuse(scope, self.max_bytes)(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the route's answer to a cut-off body; ours goes out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self.refuse(scope, self.max_bytes)(scope, receive, send)
