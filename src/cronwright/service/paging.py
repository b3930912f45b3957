"""Opaque cursors over id-ordered lists, and page-size checks."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TypeVar

from cronwright import domain, errors


def check_limit(limit: int) -> int:
    if not 1 <= limit <= domain.MAX_PAGE_SIZE:
        raise errors.InvalidInput(
            field="limit", message=f"must be between 1 and {domain.MAX_PAGE_SIZE}"
        )
    return limit


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        # ASCII digits naming a possible id only: anything else is forged, not a database error.
        if prefix != "id" or not (number.isascii() and number.isdigit()) or len(number) > 19:
            raise ValueError(text)
        if int(number) > domain.ids.MAX_ID:
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise errors.InvalidInput(field="cursor", message="not a cursor from this list") from None


T = TypeVar("T")


def page_of(found: list[T], limit: int, id_of: Callable[[T], int]) -> domain.Page[T]:
    """``found`` holds up to ``limit + 1`` rows: the extra one only says another page exists."""
    items = tuple(found[:limit])
    more = len(found) > limit
    return domain.Page(items=items, next_cursor=encode_cursor(id_of(items[-1])) if more else None)
