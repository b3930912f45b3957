"""Compiled fields: bit masks that find the next or previous matching wall-clock time.

Each field becomes an int whose bit v is set when value v is allowed. The next allowed value
at or after v is the lowest set bit of ``mask >> v``; the previous at or before v is the highest
set bit of ``mask & ((2 << v) - 1)``. A search therefore jumps over whole runs of values that
cannot match instead of walking minute by minute. Day masks depend only on the weekday of the
1st and the month's length, so at most 28 exist per expression; they are built on first use.
"""

from __future__ import annotations

import datetime as _dt

from cronwright.cron.compiled import Compiled
from cronwright.cron.fields import YEAR_HIGH, YEAR_LOW
from cronwright.cron.syntax_tree import (
    DayItem,
    LastDayOfMonth,
    LastOfWeekday,
    LastWeekdayOfMonth,
    NearestWeekday,
    NthOfWeekday,
)

# Years searched for an expression with no year field: the Gregorian calendar repeats every
# 400 years, so an expression with no match in that span never matches.
_CYCLE_YEARS = 400
MIN_YEAR = 1
MAX_YEAR = 9999

Wall = tuple[int, int, int, int, int, int]  # year, month, day, hour, minute, second

_MONTH_LENGTHS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class Matcher:
    """Finds matching wall-clock times (naive, as tuples) for one parsed expression."""

    __slots__ = (
        "_compiled",
        "_day_cache",
        "_days_depend_on_weekday",
        "_every_day",
        "_hours",
        "_minutes",
        "_months",
        "_seconds",
        "_year_high",
        "_year_low",
        "_years",
    )

    def __init__(self, compiled: Compiled) -> None:
        self._seconds = compiled.seconds
        self._minutes = compiled.minutes
        self._hours = compiled.hours
        self._months = compiled.months
        if compiled.years is None:
            self._years = 0  # unused: every year is allowed
            self._year_low, self._year_high = MIN_YEAR, MAX_YEAR
        else:
            self._years = compiled.years
            self._year_low, self._year_high = YEAR_LOW, YEAR_HIGH
        self._compiled = compiled
        self._every_day = compiled.every_day
        self._days_depend_on_weekday = compiled.days_depend_on_weekday
        self._day_cache: dict[int, int] = {}

    def _day_mask(self, year: int, month: int) -> int:
        length = 29 if month == 2 and _is_leap(year) else _MONTH_LENGTHS[month]
        if self._every_day:
            return (2 << length) - 2
        first = (_dt.date(year, month, 1).weekday() + 1) % 7 if self._days_depend_on_weekday else 0
        key = first * 32 + length
        mask = self._day_cache.get(key)
        if mask is None:
            c = self._compiled
            dom = _dom_days(c.days, c.day_items, first, length)
            dow = _dow_days(c.weekdays, c.weekday_items, first, length)
            mask = dom | dow if c.union_days else dom & dow
            self._day_cache[key] = mask
        return mask

    def _year_at_or_after(self, year: int) -> int:
        if year > self._year_high:
            return -1
        if year < self._year_low:
            year = self._year_low
        if not self._years:
            return year
        rest = self._years >> year
        return year + (rest & -rest).bit_length() - 1 if rest else -1

    def _year_at_or_before(self, year: int) -> int:
        if year < self._year_low:
            return -1
        if year > self._year_high:
            year = self._year_high
        if not self._years:
            return year
        return (self._years & ((2 << year) - 1)).bit_length() - 1

    def next_from(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> Wall | None:
        """The first matching wall time at or after the given one (``s`` may be 60: carry)."""
        months, hours, minutes, seconds = self._months, self._hours, self._minutes, self._seconds
        give_up = y + _CYCLE_YEARS if not self._years else self._year_high
        while True:
            ny = self._year_at_or_after(y)
            if ny < 0 or ny > give_up:
                return None
            if ny != y:
                y, mo, d, h, mi, s = ny, 1, 1, 0, 0, 0
            rest = months >> mo
            if not rest:
                y, mo, d, h, mi, s = y + 1, 1, 1, 0, 0, 0
                continue
            if not rest & 1:
                mo += (rest & -rest).bit_length() - 1
                d, h, mi, s = 1, 0, 0, 0
            rest = self._day_mask(y, mo) >> d
            if not rest:
                mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
                continue
            if not rest & 1:
                d += (rest & -rest).bit_length() - 1
                h, mi, s = 0, 0, 0
            rest = hours >> h
            if not rest:
                d, h, mi, s = d + 1, 0, 0, 0
                continue
            if not rest & 1:
                h += (rest & -rest).bit_length() - 1
                mi, s = 0, 0
            rest = minutes >> mi
            if not rest:
                h, mi, s = h + 1, 0, 0
                continue
            if not rest & 1:
                mi += (rest & -rest).bit_length() - 1
                s = 0
            rest = seconds >> s
            if not rest:
                mi, s = mi + 1, 0
                continue
            return y, mo, d, h, mi, s + (rest & -rest).bit_length() - 1

    def prev_from(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> Wall | None:
        """The last matching wall time at or before the given one (``s`` may be -1: borrow)."""
        months, hours, minutes, seconds = self._months, self._hours, self._minutes, self._seconds
        give_up = y - _CYCLE_YEARS if not self._years else self._year_low
        while True:
            py = self._year_at_or_before(y)
            if py < 0 or py < give_up:
                return None
            if py != y:
                y, mo, d, h, mi, s = py, 12, 31, 23, 59, 59
            found = (months & ((2 << mo) - 1)).bit_length() - 1 if mo >= 1 else -1
            if found < 1:
                y, mo, d, h, mi, s = y - 1, 12, 31, 23, 59, 59
                continue
            if found != mo:
                mo, d, h, mi, s = found, 31, 23, 59, 59
            found = (self._day_mask(y, mo) & ((2 << d) - 1)).bit_length() - 1 if d >= 1 else -1
            if found < 1:
                mo, d, h, mi, s = mo - 1, 31, 23, 59, 59
                continue
            if found != d:
                d, h, mi, s = found, 23, 59, 59
            found = (hours & ((2 << h) - 1)).bit_length() - 1 if h >= 0 else -1
            if found < 0:
                d, h, mi, s = d - 1, 23, 59, 59
                continue
            if found != h:
                h, mi, s = found, 59, 59
            found = (minutes & ((2 << mi) - 1)).bit_length() - 1 if mi >= 0 else -1
            if found < 0:
                h, mi, s = h - 1, 59, 59
                continue
            if found != mi:
                mi, s = found, 59
            found = (seconds & ((2 << s) - 1)).bit_length() - 1 if s >= 0 else -1
            if found < 0:
                mi, s = mi - 1, 59
                continue
            return y, mo, d, h, mi, found

    def matches(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> bool:
        """Whether the wall time matches every field (for tests and brute-force checks)."""
        return self.next_from(y, mo, d, h, mi, s) == (y, mo, d, h, mi, s)


def _dom_days(days: int, items: tuple[DayItem, ...], first_weekday: int, length: int) -> int:
    for item in items:
        kind = type(item)
        if kind is LastDayOfMonth:
            assert isinstance(item, LastDayOfMonth)
            if item.offset < length:
                days |= 1 << (length - item.offset)
        elif kind is NearestWeekday:
            assert isinstance(item, NearestWeekday)
            if item.day <= length:
                days |= 1 << _nearest_weekday(item.day, first_weekday, length)
        elif kind is LastWeekdayOfMonth:
            days |= 1 << _nearest_weekday(length, first_weekday, length)
    return days & ((2 << length) - 2)  # only days 1..length


def _nearest_weekday(day: int, first_weekday: int, length: int) -> int:
    """The Monday-to-Friday day nearest to ``day`` without leaving the month (Quartz ``W``)."""
    weekday = (first_weekday + day - 1) % 7
    if weekday == 6:  # Saturday: Friday before, or Monday after when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 0:  # Sunday: Monday after, or Friday before when it is the month's last day
        return day + 1 if day < length else day - 2
    return day


def _dow_days(weekdays: int, items: tuple[DayItem, ...], first_weekday: int, length: int) -> int:
    """Days of the month matched by day of week; ``weekdays`` has Sunday as bit 0 only."""
    days = 0
    for item in items:
        kind = type(item)
        if kind is LastOfWeekday:
            assert isinstance(item, LastOfWeekday)
            last_weekday = (first_weekday + length - 1) % 7
            days |= 1 << (length - (last_weekday - item.weekday) % 7)
        elif kind is NthOfWeekday:
            assert isinstance(item, NthOfWeekday)
            day = 1 + (item.weekday - first_weekday) % 7 + 7 * (item.nth - 1)
            if day <= length:
                days |= 1 << day
    return (days | _WEEKDAY_DAYS[first_weekday][weekdays]) & ((2 << length) - 2)


def _weekday_days(first_weekday: int) -> list[int]:
    """For each weekday mask (Sunday = bit 0), the days 1-31 whose weekday is in it when the
    1st falls on ``first_weekday``; each mask adds its lowest weekday to a mask already done."""
    table = [0] * 128
    for weekdays in range(1, 128):
        lowest = (weekdays & -weekdays).bit_length() - 1
        seventh = _EVERY_SEVENTH_DAY[1 + (lowest - first_weekday) % 7]
        table[weekdays] = table[weekdays & (weekdays - 1)] | seventh
    return table


# _EVERY_SEVENTH_DAY[d]: bits d, d+7, d+14, ... up to day 31.
_EVERY_SEVENTH_DAY = [sum(1 << day for day in range(start, 32, 7)) for start in range(8)]
# _WEEKDAY_DAYS[first weekday][weekday mask]: a month's days by weekday in one lookup.
_WEEKDAY_DAYS = [_weekday_days(first) for first in range(7)]
