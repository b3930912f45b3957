"""Strict integers in URLs, for the dashboard and the API alike.

Pydantic's lax mode reads ``"1.0"``, ``" 1"`` or ``"1_000"`` as integers, so ``/schedules/1.0``
would answer as ``/schedules/1``. A path id here is ASCII digits only, within the ids a row can
have; anything else is refused by name before it reaches the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator

from cronwright.domain.ids import MAX_ID


def digits_only(value: Any) -> Any:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written in digits")
    return value


Digits = BeforeValidator(digits_only)
# The Path() info comes first, or FastAPI publishes its bounds under the wrong names.
PathId = Annotated[int, Path(ge=1, le=MAX_ID), Digits]
