"""Jitter: deterministic per (schedule, slot), bounded, and never reaching the next slot."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cronwright.planning import jitter

SLOT = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_no_jitter_means_available_at_the_slot() -> None:
    assert (
        jitter.available_at(
            hash_key="k", scheduled_for=SLOT, jitter=timedelta(0), next_slot_at=None
        )
        == SLOT
    )


def test_the_offset_is_pinned_so_every_process_and_version_agrees() -> None:
    offset = jitter.jitter_offset(
        hash_key="3f9a1c", scheduled_for=SLOT, jitter=MINUTE, next_slot_at=None
    )
    code = (
        "from datetime import *; from cronwright.planning import jitter;"
        "print(jitter.jitter_offset(hash_key='3f9a1c', scheduled_for="
        "datetime(2026, 11, 27, 14, 0, tzinfo=UTC), jitter=timedelta(minutes=1), "
        "next_slot_at=None) // timedelta(microseconds=1))"
    )
    # Another interpreter (another hash seed) computes the same offset.
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == offset // timedelta(microseconds=1)
    assert offset == timedelta(microseconds=42_385_990)  # pinned: a change moves every run


def test_offsets_spread_over_the_range() -> None:
    offsets = {
        jitter.jitter_offset(
            hash_key=f"schedule-{n}", scheduled_for=SLOT, jitter=MINUTE, next_slot_at=None
        )
        for n in range(200)
    }
    assert len(offsets) > 190
    assert min(offsets) < timedelta(seconds=10)
    assert max(offsets) > timedelta(seconds=50)


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))


@given(key=st.text(max_size=20), slot=instants, spread=spans, gap=st.none() | spans)
def test_offset_lies_in_zero_to_jitter_and_below_half_the_gap(
    key: str, slot: datetime, spread: timedelta, gap: timedelta | None
) -> None:
    next_slot = None if gap is None else slot + gap
    offset = jitter.jitter_offset(
        hash_key=key, scheduled_for=slot, jitter=spread, next_slot_at=next_slot
    )
    assert timedelta(0) <= offset <= spread
    if gap is not None:
        assert offset <= gap / 2
        assert gap == timedelta(0) or slot + offset < slot + gap
    again = jitter.jitter_offset(
        hash_key=key, scheduled_for=slot, jitter=spread, next_slot_at=next_slot
    )
    assert again == offset
