"""Opaque cursors over id-ordered lists, and page-size checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from cronwright import domain, errors


def check_limit(limit: int) -> int:
    if not 1 <= limit <= domain.MAX_PAGE_SIZE:
        raise errors.InvalidInput(
            field="limit", message=f"must be between 1 and {domain.MAX_PAGE_SIZE}"
        )
    return limit


# A cursor is the last id seen, in lowercase hex: short, opaque enough, and exactly described by
# this pattern, which the API publishes, so any cursor that fits it is accepted.
CURSOR_PATTERN = r"^(?:[0-9a-f]{1,13}|1[0-9a-f]{13})$"  # at most 2**53 - 1, the largest id
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(last_id: int) -> str:
    return f"{last_id:x}"


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise errors.InvalidInput(field="cursor", message="not a cursor from this list")
    return int(cursor, 16)


T = TypeVar("T")


def page_of(found: list[T], limit: int, id_of: Callable[[T], int]) -> domain.Page[T]:
    """``found`` holds up to ``limit + 1`` rows: the extra one only says another page exists."""
    items = tuple(found[:limit])
    more = len(found) > limit
    return domain.Page(items=items, next_cursor=encode_cursor(id_of(items[-1])) if more else None)
