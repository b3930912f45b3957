"""DST tables (STYLE 10): each names the zone, writes its 2025 transitions down and compares ISO
strings in that zone. A preview line carries its DST mark after the time.

Default policy (ISC/Vixie cron): a fixed-time expression (no '*' at the start of second, minute
or hour) fires once at the transition instant when its time falls in a spring-forward gap, and
only at the first occurrence in a fall-back fold; other expressions skip gap times and fire at
both occurrences. ``dst_gap`` (shift | skip) and ``dst_fold`` (first | last | both) override it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cronwright.cron import CronExpression, DstFold, DstGap

AUTO_GAP, SHIFT, SKIP = DstGap.AUTO, DstGap.SHIFT, DstGap.SKIP
AUTO_FOLD, FIRST, LAST, BOTH = DstFold.AUTO, DstFold.FIRST, DstFold.LAST, DstFold.BOTH

Row = tuple[str, str, DstGap, DstFold, list[str]]


def upcoming(text: str, zone: str, after: str, count: int, gap: DstGap, fold: DstFold) -> list[str]:
    """``preview`` as ISO strings in the zone, each followed by its mark if it has one."""
    expr = CronExpression.parse(text)
    tz = ZoneInfo(zone)
    shown = []
    for fire in expr.preview(datetime.fromisoformat(after), tz, count, dst_gap=gap, dst_fold=fold):
        assert fire.local == fire.at.astimezone(tz)
        assert fire.at.tzinfo is UTC
        iso = fire.local.isoformat()
        shown.append(iso if fire.mark is None else f"{iso} {fire.mark}")
    return shown


def previous(
    text: str, zone: str, before: str, count: int, gap: DstGap, fold: DstFold
) -> list[str]:
    expr, tz = CronExpression.parse(text), ZoneInfo(zone)
    fires: list[str] = []
    moment: datetime | None = datetime.fromisoformat(before)
    while len(fires) < count and moment is not None:
        moment = expr.prev(moment, tz, dst_gap=gap, dst_fold=fold)
        if moment is not None:
            fires.append(moment.astimezone(tz).isoformat())
    return fires


def check(zone: str, row: Row) -> None:
    text, after, gap, fold, expected = row
    assert upcoming(text, zone, after, len(expected), gap, fold) == expected
    # next() and iter() agree with preview(); prev() walks the same fires backwards.
    plain = [e.split(" ")[0] for e in expected]
    expr, tz = CronExpression.parse(text), ZoneInfo(zone)
    start = datetime.fromisoformat(after)
    first = expr.next(start, tz, dst_gap=gap, dst_fold=fold)
    assert first is not None
    assert first.astimezone(tz).isoformat() == plain[0]
    last = datetime.fromisoformat(plain[-1])
    assert previous(text, zone, last.isoformat(), len(plain) - 1, gap, fold) == plain[-2::-1]


# America/New_York, 2025:
#   spring 03-09: 01:59:59-05:00 is followed by 03:00:00-04:00 (07:00Z); 02:xx does not exist.
#   fall   11-02: 01:59:59-04:00 is followed by 01:00:00-05:00 (06:00Z); 01:xx happens twice.
NEW_YORK: list[Row] = [
    # gap, fixed time: shifted to the transition by default, once even for two times in the gap
    ("30 2 * * *", "2025-03-08T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00 shifted", "2025-03-10T02:30:00-04:00"]),
    ("0,30 2 * * *", "2025-03-08T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00 shifted", "2025-03-10T02:00:00-04:00"]),
    ("30 2 * * *", "2025-03-08T12:00:00-05:00", SKIP, AUTO_FOLD,
     ["2025-03-10T02:30:00-04:00", "2025-03-11T02:30:00-04:00"]),
    # a shifted fire that lands on a real one fires once
    ("0 2,3 * * *", "2025-03-08T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00 shifted", "2025-03-10T02:00:00-04:00"]),
    # gap, not fixed time: skipped by default, shifted on request
    ("*/30 2 * * *", "2025-03-08T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-10T02:00:00-04:00", "2025-03-10T02:30:00-04:00"]),
    ("*/30 2 * * *", "2025-03-08T12:00:00-05:00", SHIFT, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00 shifted", "2025-03-10T02:00:00-04:00"]),
    ("30 * * * *", "2025-03-09T01:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T01:30:00-05:00", "2025-03-09T03:30:00-04:00"]),
    ("30 * * * *", "2025-03-09T01:00:00-05:00", SHIFT, AUTO_FOLD,
     ["2025-03-09T01:30:00-05:00", "2025-03-09T03:00:00-04:00 shifted",
      "2025-03-09T03:30:00-04:00"]),
    # after exactly at the spring transition instant: the shifted fire is not after it
    ("30 2 * * *", "2025-03-09T03:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-10T02:30:00-04:00"]),
    ("30 2 * * *", "2025-03-09T01:59:59-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00 shifted"]),
    # fold, fixed time: first occurrence by default
    ("30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:30:00-04:00 first occurrence", "2025-11-03T01:30:00-05:00"]),
    ("30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, LAST,
     ["2025-11-02T01:30:00-05:00 second occurrence", "2025-11-03T01:30:00-05:00"]),
    ("30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, BOTH,
     ["2025-11-02T01:30:00-04:00 first occurrence", "2025-11-02T01:30:00-05:00 second occurrence",
      "2025-11-03T01:30:00-05:00"]),
    # fold, not fixed time: both occurrences by default
    ("*/30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:00:00-04:00 first occurrence", "2025-11-02T01:30:00-04:00 first occurrence",
      "2025-11-02T01:00:00-05:00 second occurrence", "2025-11-02T01:30:00-05:00 second occurrence",
      "2025-11-03T01:00:00-05:00"]),
    ("*/30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, FIRST,
     ["2025-11-02T01:00:00-04:00 first occurrence", "2025-11-02T01:30:00-04:00 first occurrence",
      "2025-11-03T01:00:00-05:00"]),
    ("*/30 1 * * *", "2025-11-01T12:00:00-04:00", AUTO_GAP, LAST,
     ["2025-11-02T01:00:00-05:00 second occurrence", "2025-11-02T01:30:00-05:00 second occurrence",
      "2025-11-03T01:00:00-05:00"]),
    # after inside the fold, during the first occurrence
    ("*/30 1 * * *", "2025-11-02T01:40:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:00:00-05:00 second occurrence", "2025-11-02T01:30:00-05:00 second occurrence",
      "2025-11-03T01:00:00-05:00"]),
    ("30 1 * * *", "2025-11-02T01:40:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-03T01:30:00-05:00"]),
    ("30 1 * * *", "2025-11-02T01:40:00-04:00", AUTO_GAP, LAST,
     ["2025-11-02T01:30:00-05:00 second occurrence"]),
    # ... and during the second
    ("*/30 1 * * *", "2025-11-02T01:10:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:30:00-05:00 second occurrence", "2025-11-03T01:00:00-05:00"]),
    ("30 1 * * *", "2025-11-02T01:10:00-05:00", AUTO_GAP, BOTH,
     ["2025-11-02T01:30:00-05:00 second occurrence", "2025-11-03T01:30:00-05:00"]),
    # after exactly at the fall transition instant (the second 01:00:00 itself)
    ("0 * * * *", "2025-11-02T01:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T02:00:00-05:00", "2025-11-02T03:00:00-05:00"]),
    ("0 * * * *", "2025-11-02T01:59:59-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:00:00-05:00 second occurrence", "2025-11-02T02:00:00-05:00"]),
]  # fmt: skip

# Europe/Berlin, 2025:
#   spring 03-30: 01:59:59+01:00 is followed by 03:00:00+02:00 (01:00Z); 02:xx does not exist.
#   fall   10-26: 02:59:59+02:00 is followed by 02:00:00+01:00 (01:00Z); 02:xx happens twice.
BERLIN: list[Row] = [
    ("30 2 * * *", "2025-03-29T12:00:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-30T03:00:00+02:00 shifted", "2025-03-31T02:30:00+02:00"]),
    ("30 2 * * *", "2025-03-29T12:00:00+01:00", SKIP, AUTO_FOLD,
     ["2025-03-31T02:30:00+02:00", "2025-04-01T02:30:00+02:00"]),
    ("*/20 2 * * *", "2025-03-29T12:00:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-31T02:00:00+02:00", "2025-03-31T02:20:00+02:00"]),
    ("*/20 2 * * *", "2025-03-29T12:00:00+01:00", SHIFT, AUTO_FOLD,
     ["2025-03-30T03:00:00+02:00 shifted", "2025-03-31T02:00:00+02:00"]),
    ("30 2 * * *", "2025-10-25T12:00:00+02:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-26T02:30:00+02:00 first occurrence", "2025-10-27T02:30:00+01:00"]),
    ("30 2 * * *", "2025-10-25T12:00:00+02:00", SKIP, LAST,
     ["2025-10-26T02:30:00+01:00 second occurrence", "2025-10-27T02:30:00+01:00"]),
    ("30 2 * * *", "2025-10-25T12:00:00+02:00", SHIFT, BOTH,
     ["2025-10-26T02:30:00+02:00 first occurrence", "2025-10-26T02:30:00+01:00 second occurrence",
      "2025-10-27T02:30:00+01:00"]),
    ("*/20 2 * * *", "2025-10-25T12:00:00+02:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-26T02:00:00+02:00 first occurrence", "2025-10-26T02:20:00+02:00 first occurrence",
      "2025-10-26T02:40:00+02:00 first occurrence", "2025-10-26T02:00:00+01:00 second occurrence",
      "2025-10-26T02:20:00+01:00 second occurrence", "2025-10-26T02:40:00+01:00 second occurrence",
      "2025-10-27T02:00:00+01:00"]),
    ("*/20 2 * * *", "2025-10-25T12:00:00+02:00", AUTO_GAP, FIRST,
     ["2025-10-26T02:00:00+02:00 first occurrence", "2025-10-26T02:20:00+02:00 first occurrence",
      "2025-10-26T02:40:00+02:00 first occurrence", "2025-10-27T02:00:00+01:00"]),
    # six fields: seconds count as the time of day too
    ("30 30 2 * * *", "2025-03-29T12:00:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-30T03:00:00+02:00 shifted", "2025-03-31T02:30:30+02:00"]),
    ("*/30 30 2 * * *", "2025-03-29T12:00:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-31T02:30:00+02:00", "2025-03-31T02:30:30+02:00"]),
]  # fmt: skip

# Europe/London, 2025:
#   spring 03-30: 00:59:59+00:00 is followed by 02:00:00+01:00 (01:00Z); 01:xx does not exist.
#   fall   10-26: 01:59:59+01:00 is followed by 01:00:00+00:00 (01:00Z); 01:xx happens twice.
LONDON: list[Row] = [
    ("30 1 * * *", "2025-03-29T12:00:00+00:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-30T02:00:00+01:00 shifted", "2025-03-31T01:30:00+01:00"]),
    ("30 1 * * *", "2025-03-29T12:00:00+00:00", SKIP, AUTO_FOLD,
     ["2025-03-31T01:30:00+01:00", "2025-04-01T01:30:00+01:00"]),
    ("0 * * * *", "2025-03-30T00:00:00+00:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-30T02:00:00+01:00", "2025-03-30T03:00:00+01:00"]),
    # the shifted 01:00 and the real 02:00 are the same instant: one fire
    ("0 * * * *", "2025-03-30T00:00:00+00:00", SHIFT, AUTO_FOLD,
     ["2025-03-30T02:00:00+01:00 shifted", "2025-03-30T03:00:00+01:00"]),
    ("0 1 * * *", "2025-10-25T12:00:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-26T01:00:00+01:00 first occurrence", "2025-10-27T01:00:00+00:00"]),
    ("0 * * * *", "2025-10-26T00:30:00+01:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-26T01:00:00+01:00 first occurrence", "2025-10-26T01:00:00+00:00 second occurrence",
      "2025-10-26T02:00:00+00:00"]),
    ("0 * * * *", "2025-10-26T00:30:00+01:00", AUTO_GAP, FIRST,
     ["2025-10-26T01:00:00+01:00 first occurrence", "2025-10-26T02:00:00+00:00"]),
]  # fmt: skip

# Australia/Sydney (southern hemisphere), 2025:
#   fall   04-06: 02:59:59+11:00 is followed by 02:00:00+10:00 (04-05 16:00Z); 02:xx twice.
#   spring 10-05: 01:59:59+10:00 is followed by 03:00:00+11:00 (10-04 16:00Z); no 02:xx.
SYDNEY: list[Row] = [
    ("30 2 * * *", "2025-10-04T12:00:00+10:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T03:00:00+11:00 shifted", "2025-10-06T02:30:00+11:00"]),
    ("30 2 * * *", "2025-10-04T12:00:00+10:00", SKIP, AUTO_FOLD,
     ["2025-10-06T02:30:00+11:00", "2025-10-07T02:30:00+11:00"]),
    ("15 * * * *", "2025-10-05T01:00:00+10:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T01:15:00+10:00", "2025-10-05T03:15:00+11:00"]),
    ("15 * * * *", "2025-10-05T01:00:00+10:00", SHIFT, AUTO_FOLD,
     ["2025-10-05T01:15:00+10:00", "2025-10-05T03:00:00+11:00 shifted",
      "2025-10-05T03:15:00+11:00"]),
    ("30 2 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T02:30:00+11:00 first occurrence", "2025-04-07T02:30:00+10:00"]),
    ("30 2 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, LAST,
     ["2025-04-06T02:30:00+10:00 second occurrence", "2025-04-07T02:30:00+10:00"]),
    ("15 * * * *", "2025-04-06T01:30:00+11:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T02:15:00+11:00 first occurrence", "2025-04-06T02:15:00+10:00 second occurrence",
      "2025-04-06T03:15:00+10:00"]),
    ("15 * * * *", "2025-04-06T01:30:00+11:00", AUTO_GAP, LAST,
     ["2025-04-06T02:15:00+10:00 second occurrence", "2025-04-06T03:15:00+10:00"]),
]  # fmt: skip

# Australia/Lord_Howe (a 30-minute shift), 2025:
#   fall   04-06: 01:59:59+11:00 is followed by 01:30:00+10:30 (04-05 15:00Z); 01:30-01:59 twice.
#   spring 10-05: 01:59:59+10:30 is followed by 02:30:00+11:00 (10-04 15:30Z); no 02:00-02:29.
LORD_HOWE: list[Row] = [
    ("15 2 * * *", "2025-10-04T12:00:00+10:30", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T02:30:00+11:00 shifted", "2025-10-06T02:15:00+11:00"]),
    ("15 2 * * *", "2025-10-04T12:00:00+10:30", SKIP, AUTO_FOLD,
     ["2025-10-06T02:15:00+11:00", "2025-10-07T02:15:00+11:00"]),
    ("30 2 * * *", "2025-10-04T12:00:00+10:30", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T02:30:00+11:00", "2025-10-06T02:30:00+11:00"]),
    ("*/15 2 * * *", "2025-10-04T12:00:00+10:30", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T02:30:00+11:00", "2025-10-05T02:45:00+11:00", "2025-10-06T02:00:00+11:00"]),
    ("*/15 2 * * *", "2025-10-04T12:00:00+10:30", SHIFT, AUTO_FOLD,
     ["2025-10-05T02:30:00+11:00 shifted", "2025-10-05T02:45:00+11:00",
      "2025-10-06T02:00:00+11:00"]),
    ("45 1 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T01:45:00+11:00 first occurrence", "2025-04-07T01:45:00+10:30"]),
    ("45 1 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, BOTH,
     ["2025-04-06T01:45:00+11:00 first occurrence", "2025-04-06T01:45:00+10:30 second occurrence",
      "2025-04-07T01:45:00+10:30"]),
    ("*/15 1 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T01:00:00+11:00", "2025-04-06T01:15:00+11:00",
      "2025-04-06T01:30:00+11:00 first occurrence", "2025-04-06T01:45:00+11:00 first occurrence",
      "2025-04-06T01:30:00+10:30 second occurrence", "2025-04-06T01:45:00+10:30 second occurrence",
      "2025-04-07T01:00:00+10:30"]),
    ("*/15 1 * * *", "2025-04-05T12:00:00+11:00", AUTO_GAP, FIRST,
     ["2025-04-06T01:00:00+11:00", "2025-04-06T01:15:00+11:00",
      "2025-04-06T01:30:00+11:00 first occurrence", "2025-04-06T01:45:00+11:00 first occurrence",
      "2025-04-07T01:00:00+10:30"]),
]  # fmt: skip

# America/Santiago (transitions at midnight), 2025:
#   fall   04-06: 23:59:59-03:00 on 04-05 is followed by 23:00:00-04:00 on 04-05 (04-06 03:00Z);
#          the 23:xx hour of 04-05 happens twice, midnight of 04-06 once.
#   spring 09-07: 23:59:59-04:00 on 09-06 is followed by 01:00:00-03:00 on 09-07 (04:00Z);
#          midnight (00:xx) of 09-07 does not exist.
SANTIAGO: list[Row] = [
    ("0 0 * * *", "2025-09-06T12:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-09-07T01:00:00-03:00 shifted", "2025-09-08T00:00:00-03:00"]),
    ("0 0 * * *", "2025-09-06T12:00:00-04:00", SKIP, AUTO_FOLD,
     ["2025-09-08T00:00:00-03:00", "2025-09-09T00:00:00-03:00"]),
    ("*/30 0 * * *", "2025-09-06T12:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-09-08T00:00:00-03:00", "2025-09-08T00:30:00-03:00"]),
    ("*/30 0 * * *", "2025-09-06T12:00:00-04:00", SHIFT, AUTO_FOLD,
     ["2025-09-07T01:00:00-03:00 shifted", "2025-09-08T00:00:00-03:00"]),
    ("0 0 * * *", "2025-04-05T12:00:00-03:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T00:00:00-04:00", "2025-04-07T00:00:00-04:00"]),
    ("30 23 * * *", "2025-04-05T12:00:00-03:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-05T23:30:00-03:00 first occurrence", "2025-04-06T23:30:00-04:00"]),
    ("30 23 * * *", "2025-04-05T12:00:00-03:00", AUTO_GAP, LAST,
     ["2025-04-05T23:30:00-04:00 second occurrence", "2025-04-06T23:30:00-04:00"]),
    ("0 * * * *", "2025-04-05T22:30:00-03:00", AUTO_GAP, AUTO_FOLD,
     ["2025-04-05T23:00:00-03:00 first occurrence", "2025-04-05T23:00:00-04:00 second occurrence",
      "2025-04-06T00:00:00-04:00"]),
]  # fmt: skip

# Pacific/Chatham (+12:45 / +13:45; transitions at 02:45 standard time), 2025:
#   fall   04-06: 03:44:59+13:45 is followed by 02:45:00+12:45 (04-05 14:00Z); 02:45-03:44 twice.
#   spring 09-28: 02:44:59+12:45 is followed by 03:45:00+13:45 (09-27 14:00Z); no 02:45-03:44.
CHATHAM: list[Row] = [
    ("0 3 * * *", "2025-09-27T12:00:00+12:45", AUTO_GAP, AUTO_FOLD,
     ["2025-09-28T03:45:00+13:45 shifted", "2025-09-29T03:00:00+13:45"]),
    ("0 3 * * *", "2025-09-27T12:00:00+12:45", SKIP, AUTO_FOLD,
     ["2025-09-29T03:00:00+13:45", "2025-09-30T03:00:00+13:45"]),
    ("*/30 * * * *", "2025-09-28T02:00:00+12:45", AUTO_GAP, AUTO_FOLD,
     ["2025-09-28T02:30:00+12:45", "2025-09-28T04:00:00+13:45"]),
    ("*/30 * * * *", "2025-09-28T02:00:00+12:45", SHIFT, AUTO_FOLD,
     ["2025-09-28T02:30:00+12:45", "2025-09-28T03:45:00+13:45 shifted",
      "2025-09-28T04:00:00+13:45"]),
    ("0 3 * * *", "2025-04-05T12:00:00+13:45", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T03:00:00+13:45 first occurrence", "2025-04-07T03:00:00+12:45"]),
    ("0 3 * * *", "2025-04-05T12:00:00+13:45", AUTO_GAP, BOTH,
     ["2025-04-06T03:00:00+13:45 first occurrence", "2025-04-06T03:00:00+12:45 second occurrence",
      "2025-04-07T03:00:00+12:45"]),
    ("0 3 * * *", "2025-04-05T12:00:00+13:45", SHIFT, LAST,
     ["2025-04-06T03:00:00+12:45 second occurrence", "2025-04-07T03:00:00+12:45"]),
    ("*/30 * * * *", "2025-04-06T02:00:00+13:45", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T02:30:00+13:45", "2025-04-06T03:00:00+13:45 first occurrence",
      "2025-04-06T03:30:00+13:45 first occurrence", "2025-04-06T03:00:00+12:45 second occurrence",
      "2025-04-06T03:30:00+12:45 second occurrence", "2025-04-06T04:00:00+12:45"]),
    ("*/30 * * * *", "2025-04-06T02:00:00+13:45", AUTO_GAP, FIRST,
     ["2025-04-06T02:30:00+13:45", "2025-04-06T03:00:00+13:45 first occurrence",
      "2025-04-06T03:30:00+13:45 first occurrence", "2025-04-06T04:00:00+12:45"]),
    # after inside the fold, during the second occurrence
    ("*/30 * * * *", "2025-04-06T02:50:00+12:45", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T03:00:00+12:45 second occurrence", "2025-04-06T03:30:00+12:45 second occurrence",
      "2025-04-06T04:00:00+12:45"]),
]  # fmt: skip

TABLES = {
    "America/New_York": NEW_YORK,
    "Europe/Berlin": BERLIN,
    "Europe/London": LONDON,
    "Australia/Sydney": SYDNEY,
    "Australia/Lord_Howe": LORD_HOWE,
    "America/Santiago": SANTIAGO,
    "Pacific/Chatham": CHATHAM,
}


@pytest.mark.parametrize(
    ("zone", "row"),
    [
        pytest.param(zone, row, id=f"{zone}|{row[0]}|{row[1]}|{row[2]}|{row[3]}")
        for zone, rows in TABLES.items()
        for row in rows
    ],
)
def test_dst_table(zone: str, row: Row) -> None:
    check(zone, row)


# -- prev() from after a transition, back across it -----------------------------------------------

PREV: list[tuple[str, str, str, DstGap, DstFold, list[str]]] = [
    ("America/New_York", "30 2 * * *", "2025-03-10T00:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00", "2025-03-08T02:30:00-05:00"]),
    ("America/New_York", "30 2 * * *", "2025-03-10T00:00:00-04:00", SKIP, AUTO_FOLD,
     ["2025-03-08T02:30:00-05:00", "2025-03-07T02:30:00-05:00"]),
    # before exactly at the transition instant: the shifted fire is not before it
    ("America/New_York", "30 2 * * *", "2025-03-09T03:00:00-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-08T02:30:00-05:00"]),
    ("America/New_York", "30 2 * * *", "2025-03-09T03:00:01-04:00", AUTO_GAP, AUTO_FOLD,
     ["2025-03-09T03:00:00-04:00"]),
    ("America/New_York", "*/30 1 * * *", "2025-11-02T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:30:00-05:00", "2025-11-02T01:00:00-05:00", "2025-11-02T01:30:00-04:00",
      "2025-11-02T01:00:00-04:00", "2025-11-01T01:30:00-04:00"]),
    ("America/New_York", "30 1 * * *", "2025-11-02T12:00:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:30:00-04:00", "2025-11-01T01:30:00-04:00"]),
    ("America/New_York", "30 1 * * *", "2025-11-02T12:00:00-05:00", AUTO_GAP, LAST,
     ["2025-11-02T01:30:00-05:00", "2025-11-01T01:30:00-04:00"]),
    # before inside the fold: second occurrence, then first
    ("America/New_York", "*/30 1 * * *", "2025-11-02T01:10:00-05:00", AUTO_GAP, AUTO_FOLD,
     ["2025-11-02T01:00:00-05:00", "2025-11-02T01:30:00-04:00", "2025-11-02T01:00:00-04:00"]),
    ("America/New_York", "30 1 * * *", "2025-11-02T01:10:00-05:00", AUTO_GAP, BOTH,
     ["2025-11-02T01:30:00-04:00", "2025-11-01T01:30:00-04:00"]),
    ("America/New_York", "*/30 1 * * *", "2025-11-02T01:40:00-04:00", AUTO_GAP, LAST,
     ["2025-11-01T01:30:00-04:00"]),
    ("Europe/Berlin", "*/20 2 * * *", "2025-03-31T00:00:00+02:00", SHIFT, AUTO_FOLD,
     ["2025-03-30T03:00:00+02:00", "2025-03-29T02:40:00+01:00"]),
    ("Australia/Lord_Howe", "15 2 * * *", "2025-10-06T00:00:00+11:00", AUTO_GAP, AUTO_FOLD,
     ["2025-10-05T02:30:00+11:00", "2025-10-04T02:15:00+10:30"]),
    ("America/Santiago", "0 0 * * *", "2025-09-08T00:00:00-03:00", AUTO_GAP, AUTO_FOLD,
     ["2025-09-07T01:00:00-03:00", "2025-09-06T00:00:00-04:00"]),
    ("Pacific/Chatham", "*/30 * * * *", "2025-04-06T04:10:00+12:45", AUTO_GAP, AUTO_FOLD,
     ["2025-04-06T04:00:00+12:45", "2025-04-06T03:30:00+12:45", "2025-04-06T03:00:00+12:45",
      "2025-04-06T03:30:00+13:45", "2025-04-06T03:00:00+13:45", "2025-04-06T02:30:00+13:45"]),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "text", "before", "gap", "fold", "expected"), PREV)
def test_prev_across_transitions(
    zone: str, text: str, before: str, gap: DstGap, fold: DstFold, expected: list[str]
) -> None:
    assert previous(text, zone, before, len(expected), gap, fold) == expected


# -- arguments written in the zone itself ---------------------------------------------------------


def test_after_written_in_the_zone_with_fold_1_is_read_as_the_second_occurrence() -> None:
    ny = ZoneInfo("America/New_York")
    expr = CronExpression.parse("*/30 1 * * *")
    second = datetime(2025, 11, 2, 1, 10, fold=1, tzinfo=ny)  # 01:10-05:00
    fire = expr.next(second, ny)
    assert fire is not None
    assert fire.astimezone(ny).isoformat() == "2025-11-02T01:30:00-05:00"
    first = datetime(2025, 11, 2, 1, 10, tzinfo=ny)  # 01:10-04:00
    fire = expr.next(first, ny)
    assert fire is not None
    assert fire.astimezone(ny).isoformat() == "2025-11-02T01:30:00-04:00"


def test_fold_1_outside_a_fold_changes_nothing() -> None:
    # Regression: fold=1 on an ordinary time made next() search as if inside a fold and
    # return a time at or before its argument.
    ny = ZoneInfo("America/New_York")
    after = datetime(2025, 6, 1, 12, 0, fold=1, tzinfo=ny)
    fire = CronExpression.parse("* * * * *").next(after, ny)
    assert fire is not None
    assert fire.astimezone(ny).isoformat() == "2025-06-01T12:01:00-04:00"


def test_a_wall_time_inside_the_gap_is_read_as_pep_495_says() -> None:
    # Regression: 02:30 on 2025-03-09 does not exist in New York; PEP 495 reads it with the
    # offset before the gap (-05:00), i.e. 07:30Z = 03:30-04:00. next() returned 03:00-04:00.
    ny = ZoneInfo("America/New_York")
    after = datetime(2025, 3, 9, 2, 30, tzinfo=ny)
    expr = CronExpression.parse("* * * * *")
    fire = expr.next(after, ny)
    assert fire is not None
    assert fire.astimezone(ny).isoformat() == "2025-03-09T03:31:00-04:00"
    before = expr.prev(after, ny)
    assert before is not None
    assert before.astimezone(ny).isoformat() == "2025-03-09T03:29:00-04:00"


def test_zone_may_be_named_or_a_tzinfo_and_results_are_utc() -> None:
    expr = CronExpression.parse("30 2 * * *")
    after = datetime.fromisoformat("2025-03-08T12:00:00-05:00")
    by_name = expr.next(after, "America/New_York")
    assert by_name == expr.next(after, ZoneInfo("America/New_York"))
    assert by_name is not None
    assert by_name.isoformat() == "2025-03-09T07:00:00+00:00"


def test_marks_are_absent_in_utc() -> None:
    fires = CronExpression.parse("*/30 1-2 * * *").preview(
        datetime.fromisoformat("2025-11-02T00:00:00+00:00"), "UTC", 4
    )
    assert [f.mark for f in fires] == [None] * 4
