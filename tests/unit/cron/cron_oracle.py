"""An independent, deliberately slow model of the cron engine, for the property tests.

It reads the syntax tree (``CronExpression.parsed``) but shares nothing with the bit masks of
``compiled``/``matcher``: a wall time matches when each field's items say so, with calendars
computed by ``datetime``. Fire instants come from walking every second or minute of UTC and
applying the DST policy to what that walk sees, so no gap or fold arithmetic is shared either.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, tzinfo

from cronwright.cron import CronExpression, DstFold, DstGap
from cronwright.cron.syntax_tree import (
    Field,
    LastDayOfMonth,
    LastOfWeekday,
    LastWeekdayOfMonth,
    NearestWeekday,
    NthOfWeekday,
    Span,
)


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _cron_weekday(day: datetime) -> int:
    """0 = Sunday ... 6 = Saturday."""
    return (day.weekday() + 1) % 7


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """Quartz ``W``: the Monday-Friday day nearest to ``day`` without leaving the month."""
    length = _month_length(year, month)
    weekday = datetime(year, month, day).weekday()  # Monday = 0
    if weekday < 5:
        return day
    candidates = [d for d in (day - 1, day + 1, day - 2, day + 2) if 1 <= d <= length]
    for d in candidates:  # nearest first; the ±1 ones are tried before the ±2 ones
        if datetime(year, month, d).weekday() < 5:
            return d
    raise AssertionError("every month has a weekday within two days of any day")


def _span_has(span: Span, value: int) -> bool:
    return span.start <= value <= span.end and (value - span.start) % span.step == 0


def _plain(field: Field, value: int) -> bool:
    return any(isinstance(i, Span) and _span_has(i, value) for i in field.items)


def _dom_matches(field: Field, year: int, month: int, day: int) -> bool:
    length = _month_length(year, month)
    for item in field.items:
        if isinstance(item, Span) and _span_has(item, day):
            return True
        if isinstance(item, LastDayOfMonth) and day == length - item.offset:
            return True
        if (
            isinstance(item, NearestWeekday)
            and item.day <= length
            and day == _nearest_weekday(year, month, item.day)
        ):
            return True
        if isinstance(item, LastWeekdayOfMonth):
            last = max(d for d in range(1, length + 1) if datetime(year, month, d).weekday() < 5)
            if day == last:
                return True
    return False


def _dow_matches(field: Field, year: int, month: int, day: int) -> bool:
    moment = datetime(year, month, day)
    weekday = _cron_weekday(moment)
    length = _month_length(year, month)
    for item in field.items:
        if isinstance(item, Span) and (
            _span_has(item, weekday) or (weekday == 0 and _span_has(item, 7))
        ):
            return True
        if isinstance(item, LastOfWeekday) and item.weekday == weekday and day + 7 > length:
            return True
        if (
            isinstance(item, NthOfWeekday)
            and item.weekday == weekday
            and (day + 6) // 7 == item.nth
        ):
            return True
    return False


def matches(expr: CronExpression, wall: datetime) -> bool:
    """Whether the naive wall time matches every field of ``expr`` (Vixie day rule)."""
    p = expr.parsed
    if not (
        _plain(p.second, wall.second)
        and _plain(p.minute, wall.minute)
        and _plain(p.hour, wall.hour)
        and _plain(p.month, wall.month)
        and (p.year is None or _plain(p.year, wall.year))
    ):
        return False
    dom = _dom_matches(p.day_of_month, wall.year, wall.month, wall.day)
    dow = _dow_matches(p.day_of_week, wall.year, wall.month, wall.day)
    if p.day_of_month.restricted and p.day_of_week.restricted:
        return dom or dow
    return dom and dow


def fire_times(
    expr: CronExpression,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    *,
    step: timedelta,
    dst_gap: DstGap = DstGap.AUTO,
    dst_fold: DstFold = DstFold.AUTO,
) -> list[datetime]:
    """Every fire instant in ``(start, end]``, found by walking UTC in ``step`` increments.

    ``step`` must divide every wall time the expression can match (a minute when its second
    field is 0). A gap shows up as two consecutive steps whose wall times jump by more than
    ``step``: the wall times jumped over are the missing ones. In a fold, ``astimezone`` reads
    the second occurrence with ``fold=1``; the first is a wall time the zone will read again.
    """
    fixed = expr.is_fixed_time
    shift = dst_gap is DstGap.SHIFT or (dst_gap is DstGap.AUTO and fixed)
    if dst_fold is DstFold.AUTO:
        dst_fold = DstFold.FIRST if fixed else DstFold.BOTH
    want_first = dst_fold in (DstFold.FIRST, DstFold.BOTH)
    want_second = dst_fold in (DstFold.LAST, DstFold.BOTH)

    fires: set[datetime] = set()
    moment = start.astimezone(UTC).replace(microsecond=0)
    moment -= timedelta(seconds=moment.timestamp() % step.total_seconds())
    previous_wall = moment.astimezone(zone).replace(tzinfo=None)
    while moment < end:
        moment += step
        local = moment.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        if wall - previous_wall > step and shift:  # a gap between the two steps
            missing = previous_wall + step
            while missing < wall:
                if matches(expr, missing):
                    fires.add(moment)  # the first instant after the gap: the transition
                    break
                missing += step
        if local.fold:  # the second time round for this wall time
            occurrence_ok = want_second
        elif _repeats_later(wall, zone):
            occurrence_ok = want_first
        else:
            occurrence_ok = True
        if occurrence_ok and matches(expr, wall):
            fires.add(moment)
        previous_wall = wall
    return sorted(f for f in fires if start < f <= end)


def _repeats_later(wall: datetime, zone: tzinfo) -> bool:
    """Whether this wall time comes round a second time (it is in a fold, read first)."""
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None
    assert second is not None
    return first > second
