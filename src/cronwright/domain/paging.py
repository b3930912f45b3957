"""Cursor pagination: a page of items and the opaque cursor that continues after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None  # None on the last page
