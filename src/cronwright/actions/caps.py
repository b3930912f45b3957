"""Size caps for what actions put into a step's output (bodies, stdout, stderr)."""

from __future__ import annotations

MAX_TEXT_BYTES = 16 * 1024  # per captured text; the executor caps the whole output at 64 KiB
MARKER = "…[truncated: {total} bytes in all]"


def capped_text(data: bytes, *, total: int | None = None, limit: int = MAX_TEXT_BYTES) -> str:
    """``data`` decoded (invalid UTF-8 replaced), cut to ``limit`` bytes with a marker saying how
    long it was. ``total``: the full length when ``data`` is already a prefix of it."""
    total = len(data) if total is None else total
    if total <= limit and len(data) <= limit:
        return data.decode(errors="replace")
    return data[:limit].decode(errors="ignore") + MARKER.format(total=total)
