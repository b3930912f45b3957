"""The ``http`` action kind: one request with httpx.

The response's status and body become the output (``{"status": 200, "body": ...}``): a JSON body
as its value when it fits the cap, anything else as text, cut with a marker. A status outside
``expect_status`` (default: any 2xx) fails the step. Header values may hold secrets: they never
appear in outputs, errors or logs (``repr`` of the config hides them).

Every request goes through the operator's outbound policy (:mod:`cronwright.outbound`): a URL
aimed at a refused address is refused on save, and every connection is checked when it is made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import httpx
import pydantic

from cronwright import domain, outbound
from cronwright.actions import caps
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry

KIND = "http"
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 3600.0
_REFERENCE = "{{"

HttpClientFactory = Callable[[], httpx.Client]
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class HttpConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    method: Method = "GET"
    url: str = pydantic.Field(min_length=1, max_length=2048)
    headers: dict[str, str] = pydantic.Field(default_factory=dict, repr=False)
    json_body: pydantic.JsonValue = pydantic.Field(default=None, alias="json")
    expect_status: list[Annotated[int, pydantic.Field(ge=100, le=599)]] | None = None
    timeout: float = pydantic.Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=MAX_TIMEOUT_SECONDS)

    @pydantic.field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        # A URL built from references is checked once the references are filled in.
        if _REFERENCE not in url and not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

    @pydantic.field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            if not name or not all(33 <= ord(c) <= 126 and c != ":" for c in name):
                raise ValueError(f"{name!r} is not a header name")
        return headers

    @pydantic.field_validator("headers")
    @classmethod
    def _header_values(cls, headers: dict[str, str]) -> dict[str, str]:
        # A line break would end the header and start another: refuse it when the step is saved,
        # not when it runs. The value itself is not quoted back: it may be a secret.
        for name, value in headers.items():
            if any(c in value for c in "\r\n\x00"):
                raise ValueError(f"the value of {name!r} must not contain CR, LF or NUL")
        return headers


@dataclass(frozen=True, slots=True)
class HttpAction:
    config: HttpConfig
    client_factory: HttpClientFactory

    def run(self, ctx: StepContext) -> StepOutcome:
        config = self.config
        timeout = min(config.timeout, ctx.timeout.total_seconds())
        request_json = {"json": config.json_body} if config.json_body is not None else {}
        try:
            with (
                self.client_factory() as client,
                client.stream(
                    config.method,
                    config.url,
                    headers=config.headers,
                    timeout=timeout,
                    **request_json,  # type: ignore[arg-type]
                ) as response,
            ):
                body, total = _read_capped(response, ctx)
        except outbound.OutboundRefused as exc:
            return StepOutcome.failure(f"{config.method} {_safe(config.url)}: {exc}")
        except httpx.TimeoutException:
            return StepOutcome.failure(
                f"{config.method} {_safe(config.url)}: no answer in {timeout:g} s"
            )
        except httpx.HTTPError as exc:
            # The message names the URL at most; header values are never part of it.
            return StepOutcome.failure(
                f"{config.method} {_safe(config.url)}: {type(exc).__name__}: {exc}"
            )
        output: domain.JsonObject = {
            "status": response.status_code,
            "body": _body(response, body, total),
        }
        wanted = config.expect_status
        if (wanted is None and not 200 <= response.status_code < 300) or (
            wanted is not None and response.status_code not in wanted
        ):
            expected = "2xx" if wanted is None else ", ".join(map(str, wanted))
            text = caps.capped_text(body, total=total, limit=512)
            return StepOutcome.failure(
                f"{config.method} {_safe(config.url)} answered {response.status_code}, expected "
                f"{expected}: {text}"
            )
        return StepOutcome.success(output)


def install(registry: ActionRegistry, policy: outbound.OutboundPolicy) -> None:
    """``http`` steps under ``policy``: checked on save, and on every connection."""

    def check(config: HttpConfig) -> None:
        try:
            policy.check_url(config.url)
        except outbound.OutboundRefused as exc:
            raise ValueError(f"url: {exc}") from None

    registry.register(
        KIND,
        HttpConfig,
        lambda config: HttpAction(config, lambda: outbound.client(policy)),
        check=check,
    )


def _read_capped(response: httpx.Response, ctx: StepContext) -> tuple[bytes, int]:
    """At most the cap (plus one chunk) of the body, and its full length; stops early when the
    step must stop."""
    kept = bytearray()
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if len(kept) <= caps.MAX_TEXT_BYTES:
            kept.extend(chunk)
        if ctx.stop.is_set():
            raise httpx.ReadError("the step was stopped while reading the body")
    return bytes(kept), total


def _body(response: httpx.Response, body: bytes, total: int) -> domain.JsonValue:
    if total <= caps.MAX_TEXT_BYTES and "json" in response.headers.get("content-type", ""):
        try:
            parsed: domain.JsonValue = json.loads(body)
        except ValueError:
            pass
        else:
            return parsed
    return caps.capped_text(body, total=total)


def _safe(url: str) -> str:
    """The URL without user info or query string, which may carry credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid url>"
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))
