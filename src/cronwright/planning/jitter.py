"""Jitter: when a slot's run becomes claimable, spread so that many schedules on the same minute
do not all start at once.

The offset is a pure function of the schedule's ``hash_key`` and the slot (BLAKE2b, stable across
processes and Python versions), so every scheduler computes the same ``available_at`` and a replay
writes the same row. It lies in ``[0, jitter]`` and below half the gap to the next slot, so a
run never becomes claimable at or after the next slot.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def jitter_offset(
    *,
    hash_key: str,
    scheduled_for: datetime,
    jitter: timedelta,
    next_slot_at: datetime | None,
) -> timedelta:
    """How long after ``scheduled_for`` its run becomes claimable, in ``[0, bound]`` where
    ``bound = min(jitter, (next_slot_at - scheduled_for) / 2)``, whole microseconds."""
    bound = jitter
    if next_slot_at is not None:
        bound = min(bound, (next_slot_at - scheduled_for) / 2)
    bound_us = bound // _MICROSECOND
    if bound_us <= 0:
        return timedelta(0)
    slot_us = (scheduled_for - _EPOCH) // _MICROSECOND
    digest = hashlib.blake2b(f"{hash_key}|{slot_us}".encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big")  # uniform in [0, 2**64)
    # Integer arithmetic: uniform in [0, bound_us] with no float rounding at the top end.
    return timedelta(microseconds=(fraction * (bound_us + 1)) >> 64)


def available_at(
    *,
    hash_key: str,
    scheduled_for: datetime,
    jitter: timedelta,
    next_slot_at: datetime | None,
) -> datetime:
    return scheduled_for + jitter_offset(
        hash_key=hash_key, scheduled_for=scheduled_for, jitter=jitter, next_slot_at=next_slot_at
    )
