"""The seven cron fields: names, ranges and the names allowed in place of numbers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class FieldKind(enum.IntEnum):
    SECOND = 0
    MINUTE = 1
    HOUR = 2
    DAY_OF_MONTH = 3
    MONTH = 4
    DAY_OF_WEEK = 5
    YEAR = 6


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    label: str  # how errors and descriptions name the field
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)
    hash_high: int | None = None  # upper bound for a bare ``H`` when narrower than ``high``

    @property
    def span(self) -> int:
        return self.high - self.low + 1


MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

YEAR_LOW = 1970
YEAR_HIGH = 2199

SPECS: dict[FieldKind, FieldSpec] = {
    FieldKind.SECOND: FieldSpec(FieldKind.SECOND, "second", 0, 59),
    FieldKind.MINUTE: FieldSpec(FieldKind.MINUTE, "minute", 0, 59),
    FieldKind.HOUR: FieldSpec(FieldKind.HOUR, "hour", 0, 23),
    # A bare H in day of month stays within 1-28 so it fires in every month.
    FieldKind.DAY_OF_MONTH: FieldSpec(FieldKind.DAY_OF_MONTH, "day of month", 1, 31, hash_high=28),
    FieldKind.MONTH: FieldSpec(
        FieldKind.MONTH, "month", 1, 12, {n: i + 1 for i, n in enumerate(MONTH_NAMES)}
    ),
    # Day of week runs 0-7 with both ends meaning Sunday (Vixie cron); H stays within 0-6.
    FieldKind.DAY_OF_WEEK: FieldSpec(
        FieldKind.DAY_OF_WEEK,
        "day of week",
        0,
        7,
        {n: i for i, n in enumerate(WEEKDAY_NAMES)},
        hash_high=6,
    ),
    FieldKind.YEAR: FieldSpec(FieldKind.YEAR, "year", YEAR_LOW, YEAR_HIGH),
}

FIVE_FIELDS = (
    FieldKind.MINUTE,
    FieldKind.HOUR,
    FieldKind.DAY_OF_MONTH,
    FieldKind.MONTH,
    FieldKind.DAY_OF_WEEK,
)
SIX_FIELDS = (FieldKind.SECOND, *FIVE_FIELDS)
SEVEN_FIELDS = (*SIX_FIELDS, FieldKind.YEAR)
