"""A schedule's history strip: one cell per slot, oldest left, like a per-check status bar.

Each state has a colour *and* a glyph, so the strip reads without colour; every cell names its
slot, state and reason in its accessible label and its tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from cronwright import domain

STRIP_SLOTS = 100
SLOT_TRIGGERS = frozenset({domain.Trigger.SCHEDULE, domain.Trigger.BACKFILL})
GLYPHS = {
    domain.RunState.SUCCEEDED: "✓",
    domain.RunState.FAILED: "✗",
    domain.RunState.TIMED_OUT: "◷",
    domain.RunState.CANCELLED: "⊘",
    domain.RunState.SKIPPED: "»",
    domain.RunState.MISSED: "?",
    domain.RunState.RUNNING: "▶",
    domain.RunState.PENDING: "…",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    run_id: int
    state: str
    glyph: str
    label: str  # "2026-03-02 09:00 UTC: failed (boom)"


def strip(slot_runs: list[domain.Run]) -> list[Cell]:
    """Cells for ``slot_runs`` (newest first, as listed), oldest first."""
    cells = []
    for run in sorted(slot_runs, key=lambda r: (r.scheduled_for, r.id)):
        why = run.error or run.reason
        label = f"{run.scheduled_for:%Y-%m-%d %H:%M:%S} UTC: {run.state.value}"
        cells.append(
            Cell(
                run_id=run.id,
                state=run.state.value,
                glyph=GLYPHS[run.state],
                label=f"{label} ({why})" if why else label,
            )
        )
    return cells


def legend() -> list[tuple[str, str]]:
    return [(state.value, glyph) for state, glyph in GLYPHS.items()]
