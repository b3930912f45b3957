"""Cron expressions in plain English."""

from __future__ import annotations

from cronwright.cron.parser import Parsed


def describe(parsed: Parsed) -> str:
    """A sentence saying when the expression fires."""
    fields = (parsed.second, parsed.minute, parsed.hour, parsed.day_of_month, parsed.month)
    return "Fires at " + " ".join(f.text for f in (*fields, parsed.day_of_week))
