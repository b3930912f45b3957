"""Every error cronwright raises on purpose derives from :class:`CronwrightError`.

Lookups also derive from :class:`LookupError` and carry the id that was not found, so callers can
catch broadly (``CronwrightError``), generically (``LookupError``) or precisely.
"""

from __future__ import annotations


class CronwrightError(Exception):
    """Base for every error cronwright raises deliberately."""


class CronSyntaxError(CronwrightError, ValueError):
    """A cron expression that cannot be parsed, with the place that is wrong.

    ``field`` names the cron field (``"minute"``, ``"day of week"``, ...) or is ``"expression"``
    when the whole text is at fault; ``column`` is the 1-based position of ``token`` in the text.
    """

    def __init__(self, reason: str, *, field: str, column: int, token: str, text: str) -> None:
        self.reason = reason
        self.field = field
        self.column = column
        self.token = token
        self.text = text
        super().__init__(f"{field}: {reason} (column {column})")

    def caret_lines(self) -> tuple[str, str]:
        """The expression and a line with ``^`` under the offending token, for terminals."""
        width = max(1, len(self.token))
        return self.text, " " * (self.column - 1) + "^" * width
