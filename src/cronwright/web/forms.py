"""URL-encoded form bodies, read without python-multipart (the dashboard's forms are small: the
largest holds a workflow definition), and the JSON typed into them."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from fastapi import Request

from cronwright import domain, errors

MAX_FORM_BYTES = 512 * 1024  # a workflow definition, URL-encoded, within the API's body limit


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field; an oversized or undecodable body reads as empty."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def json_object(text: str, field: str) -> domain.JsonObject:
    """A JSON object typed in a form (empty means ``{}``); ``InvalidInput`` naming ``field`` and
    the line and column of a syntax error."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.InvalidInput(
            field=field, message=f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise errors.InvalidInput(field=field, message="must be a JSON object ({...})")
    return value
