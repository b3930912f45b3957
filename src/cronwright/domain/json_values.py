"""JSON values as the store keeps them, and the canonical form used to compare them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"


def canonical_json(value: JsonValue | Mapping[str, JsonValue]) -> str:
    """One spelling per value: sorted keys, no spaces, so equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_digest(value: JsonValue | Mapping[str, JsonValue]) -> str:
    """SHA-256 of the canonical form: a fixed-size key for "same input" comparisons."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
