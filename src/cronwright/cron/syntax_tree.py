"""What a parsed cron field is made of.

The parser turns text into these items, the matcher compiles them into bit masks, and
``describe`` turns them into English. Values are already resolved: names became numbers, ``H``
became concrete values, ``?`` became ``*``. They are named tuples: immutable and cheap to build,
which matters because parsing is on the hot path of validation.
"""

from __future__ import annotations

from typing import NamedTuple

from cronwright.cron.fields import FieldKind


class Span(NamedTuple):
    """``*``, ``n``, ``a-b`` and their ``/step`` forms: every ``step``-th value from start to end.

    ``wildcard`` marks ``*`` (or ``?``); ``open_ended`` marks ``a/s`` (from a to the field's end);
    ``hashed`` marks a span resolved from ``H``.
    """

    start: int
    end: int
    step: int = 1
    wildcard: bool = False
    open_ended: bool = False
    hashed: bool = False

    @property
    def is_single(self) -> bool:
        return self.start == self.end

    def values(self) -> range:
        return range(self.start, self.end + 1, self.step)


class LastDayOfMonth(NamedTuple):
    """``L`` (offset 0) or ``L-n``: the last day of the month, or n days before it."""

    offset: int = 0


class NearestWeekday(NamedTuple):
    """``nW``: the weekday (Mon-Fri) nearest to day n, without leaving the month."""

    day: int


class LastWeekdayOfMonth(NamedTuple):
    """``LW``: the last Monday-to-Friday day of the month."""

    last_weekday: bool = True  # a named tuple needs a field; this one only tells it apart


class LastOfWeekday(NamedTuple):
    """``nL`` in day of week: the last such weekday of the month (0 = Sunday)."""

    weekday: int


class NthOfWeekday(NamedTuple):
    """``n#k`` in day of week: the k-th such weekday of the month (k in 1-5)."""

    weekday: int
    nth: int


DayItem = LastDayOfMonth | NearestWeekday | LastWeekdayOfMonth | LastOfWeekday | NthOfWeekday
Item = Span | DayItem


class Field(NamedTuple):
    """One field of an expression. ``text`` is as written; ``restricted`` follows Vixie cron:
    the field does not start with ``*`` and is not ``?`` (it matters for the day rule)."""

    kind: FieldKind
    items: tuple[Item, ...]
    text: str
    restricted: bool

    @property
    def is_wildcard(self) -> bool:
        """True when the field matches every value (``*`` or ``?`` with no step)."""
        return (
            len(self.items) == 1
            and isinstance(self.items[0], Span)
            and self.items[0].wildcard
            and self.items[0].step == 1
        )
