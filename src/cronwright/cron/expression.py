"""``CronExpression``: a parsed, immutable cron expression that finds fire times in any zone."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from cronwright.cron import describe, parser, zones
from cronwright.cron.compiled import Compiled, compile_expression
from cronwright.cron.matcher import Matcher, Wall
from cronwright.cron.syntax_tree import Field
from cronwright.cron.zones import DstFold, DstGap, DstMark

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class FireTime:
    """One fire time: the instant (UTC), the same in the zone, and how DST bent it, if it did."""

    at: datetime
    local: datetime
    mark: DstMark | None = None


@dataclass(frozen=True, slots=True)
class _Policy:
    shift_gaps: bool
    first_in_fold: bool
    second_in_fold: bool


# What DstGap.AUTO and DstFold.AUTO mean (ISC/Vixie cron), for the two kinds of expression.
_AUTO_FIXED = _Policy(shift_gaps=True, first_in_fold=True, second_in_fold=False)
_AUTO_FLOATING = _Policy(shift_gaps=False, first_in_fold=True, second_in_fold=True)


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def _wall(moment: datetime) -> Wall:
    return moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second


def _naive(wall: Wall) -> datetime:
    return datetime(*wall)


class CronExpression:
    """A parsed cron expression. Build one with :meth:`parse`; it is immutable and thread-safe.

    Fire times come back as aware UTC instants; the zone is used only to match wall-clock fields.
    """

    __slots__ = ("_compiled", "_matcher", "_parsed", "_policies", "hash_key", "text")

    text: str
    hash_key: str | None

    def __init__(self, text: str, compiled: Compiled, hash_key: str | None) -> None:
        self.text = text
        self.hash_key = hash_key
        self._compiled = compiled
        self._parsed: parser.Parsed | None = None  # built on demand: evaluation needs none
        self._matcher: Matcher | None = None  # built on first use: validation needs none
        self._policies: dict[tuple[DstGap, DstFold], _Policy] = {}

    @classmethod
    def parse(cls, text: str, *, hash_key: str | None = None) -> CronExpression:
        """Parse and validate ``text``; raise :class:`CronSyntaxError` saying where it is wrong.

        ``hash_key`` seeds ``H`` fields: the same key always gives the same times.
        """
        return cls(text, compile_expression(text, hash_key), hash_key)

    @classmethod
    def shared(cls, text: str, *, hash_key: str | None = None) -> CronExpression:
        """:meth:`parse`, kept: the engine evaluates the same few expressions for many
        schedules and runs (a fleet's ``0 * * * *``), so each is parsed once per process and
        its evaluation caches are shared. ``hash_key`` only tells apart expressions with ``H``
        (any ``H`` in the text counts, a day name too: a spare parse at worst)."""
        return _shared(text, hash_key if "H" in text.upper() else None)

    @property
    def is_fixed_time(self) -> bool:
        """ISC cron: none of second, minute and hour starts with ``*``; DST treats it as a
        time of day (shifted out of gaps, fired once in folds) rather than an interval."""
        return self._compiled.fixed_time

    @property
    def parsed(self) -> parser.Parsed:
        """The syntax tree: every field and item as written, with names and ``H`` resolved."""
        parsed = self._parsed
        if parsed is None:
            parsed = parser.parse(self.text, self.hash_key)
            self._parsed = parsed
        return parsed

    # -- introspection -----------------------------------------------------------------------

    @property
    def fields(self) -> tuple[Field, ...]:
        """Second, minute, hour, day of month, month, day of week, and year when written."""
        p = self.parsed
        base = (p.second, p.minute, p.hour, p.day_of_month, p.month, p.day_of_week)
        return base if p.year is None else (*base, p.year)

    def describe(self) -> str:
        """The expression in plain English, e.g. "At 09:00, Monday through Friday"."""
        return describe.describe(self.parsed)

    def __repr__(self) -> str:
        return f"CronExpression({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronExpression):
            return NotImplemented
        return self.text == other.text and self.hash_key == other.hash_key

    def __hash__(self) -> int:
        return hash((self.text, self.hash_key))

    # -- fire times --------------------------------------------------------------------------

    def next(
        self,
        after: datetime,
        tz: tzinfo | str = UTC,
        *,
        dst_gap: DstGap = DstGap.AUTO,
        dst_fold: DstFold = DstFold.AUTO,
    ) -> datetime | None:
        """The first fire instant strictly after ``after``, or None when there is none."""
        _aware(after, "after")
        found = self._next(after, _zone(tz), self._policy(dst_gap, dst_fold))
        return None if found is None else found[0]

    def prev(
        self,
        before: datetime,
        tz: tzinfo | str = UTC,
        *,
        dst_gap: DstGap = DstGap.AUTO,
        dst_fold: DstFold = DstFold.AUTO,
    ) -> datetime | None:
        """The last fire instant strictly before ``before``, or None when there is none."""
        _aware(before, "before")
        found = self._prev(before, _zone(tz), self._policy(dst_gap, dst_fold))
        return None if found is None else found[0]

    def iter(
        self,
        after: datetime,
        tz: tzinfo | str = UTC,
        *,
        dst_gap: DstGap = DstGap.AUTO,
        dst_fold: DstFold = DstFold.AUTO,
    ) -> Iterator[datetime]:
        """Successive fire instants strictly after ``after``; ends where the expression does."""
        _aware(after, "after")  # checked now, not when the first value is asked for
        return self._iter(after, _zone(tz), self._policy(dst_gap, dst_fold))

    def _iter(self, after: datetime, zone: tzinfo, policy: _Policy) -> Iterator[datetime]:
        current = after
        while (found := self._next(current, zone, policy)) is not None:
            current = found[0]
            yield current

    def preview(
        self,
        after: datetime,
        tz: tzinfo | str = UTC,
        count: int = 10,
        *,
        dst_gap: DstGap = DstGap.AUTO,
        dst_fold: DstFold = DstFold.AUTO,
    ) -> list[FireTime]:
        """The next ``count`` fire times with their local time and any DST mark."""
        _aware(after, "after")
        zone, policy = _zone(tz), self._policy(dst_gap, dst_fold)
        fires: list[FireTime] = []
        current = after
        while len(fires) < count and (found := self._next(current, zone, policy)) is not None:
            current, mark = found
            fires.append(FireTime(current, current.astimezone(zone), mark))
        return fires

    # -- internals ---------------------------------------------------------------------------

    @property
    def matcher(self) -> Matcher:
        matcher = self._matcher
        if matcher is None:
            matcher = Matcher(self._compiled)
            self._matcher = matcher
        return matcher

    def _policy(self, gap: DstGap, fold: DstFold) -> _Policy:
        if gap is DstGap.AUTO and fold is DstFold.AUTO:
            return _AUTO_FIXED if self._compiled.fixed_time else _AUTO_FLOATING
        policy = self._policies.get((gap, fold))
        if policy is None:
            fixed = self._compiled.fixed_time
            if gap is DstGap.AUTO:
                gap = DstGap.SHIFT if fixed else DstGap.SKIP
            if fold is DstFold.AUTO:
                fold = DstFold.FIRST if fixed else DstFold.BOTH
            policy = _Policy(
                shift_gaps=gap is DstGap.SHIFT,
                first_in_fold=fold in (DstFold.FIRST, DstFold.BOTH),
                second_in_fold=fold in (DstFold.LAST, DstFold.BOTH),
            )
            self._policies[(DstGap(gap), DstFold(fold))] = policy
        return policy

    def _next(
        self, after: datetime, zone: tzinfo, policy: _Policy
    ) -> tuple[datetime, DstMark | None] | None:
        # Near the edge of datetime's range (year 1 or 9999) converting between UTC and local
        # time overflows; a fire time that cannot be represented counts as none.
        try:
            if zone is UTC or type(zone) is timezone:  # a fixed offset: no DST to think about
                offset = zone.utcoffset(None)
                local = after if after.tzinfo is zone else after.astimezone(zone)
                found = self.matcher.next_from(
                    local.year, local.month, local.day, local.hour, local.minute, local.second + 1
                )
                if found is None:
                    return None
                at = datetime(*found, tzinfo=UTC)
                return (at - offset if offset else at), None
            return self._next_in_zone(after, zone, policy)
        except OverflowError:
            return None

    def _next_in_zone(
        self, after: datetime, zone: tzinfo, policy: _Policy
    ) -> tuple[datetime, DstMark | None] | None:
        next_from = self.matcher.next_from
        # ``zone.utcoffset(dt)`` rather than ``dt.utcoffset()``, and datetimes built with their
        # ``fold`` rather than ``replace(fold=1)``: the same answers at a fraction of the cost,
        # which is most of a first ``next()`` in a zone.
        utcoffset = zone.utcoffset
        # Through UTC: ``astimezone`` returns an ``after`` already in ``zone`` unchanged, with a
        # ``fold`` or a wall time in a gap as the caller wrote it; the round trip normalises it.
        after = after.astimezone(UTC)
        local = after.astimezone(zone)
        y, mo, d, h, mi, s = (
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
        )
        start: Wall = (y, mo, d, h, mi, s + 1)
        if local.fold or utcoffset(local) != utcoffset(
            datetime(y, mo, d, h, mi, s, 0, zone, fold=1)
        ):
            # ``after`` falls inside a fold: its wall times come round twice.
            wall = datetime(y, mo, d, h, mi, s)
            offset0, offset1 = zones.offsets(wall, zone)
            instant, before, later = zones.transition_around(wall, zone, offset0, offset1)
            found = self._next_in_fold(after, instant, before, later, policy)
            if found is not None:
                return found
            start = _wall((instant + before).replace(tzinfo=None))  # the first wall after it
        while True:
            candidate = next_from(*start)
            if candidate is None:
                return None
            offset = utcoffset(datetime(*candidate, tzinfo=zone))
            if offset == utcoffset(datetime(*candidate, tzinfo=zone, fold=1)):
                assert offset is not None  # a zone gives offsets
                return datetime(*candidate, tzinfo=UTC) - offset, None
            naive = datetime(*candidate)
            offset0, offset1 = zones.offsets(naive, zone)
            instant, before, later = zones.transition_around(naive, zone, offset0, offset1)
            if before < later:  # a gap: this wall time does not exist
                if policy.shift_gaps:
                    return instant, DstMark.SHIFTED
                start = _wall((instant + later).replace(tzinfo=None))
                continue
            found = self._next_in_fold(after, instant, before, later, policy)
            if found is not None:
                return found
            start = _wall((instant + before).replace(tzinfo=None))

    def _next_in_fold(
        self,
        after: datetime,
        instant: datetime,
        before: timedelta,
        later: timedelta,
        policy: _Policy,
    ) -> tuple[datetime, DstMark | None] | None:
        """The first fire after ``after`` among the wall times the fold at ``instant`` repeats.

        The fold's wall times are ``[instant + later, instant + before)``; each first occurrence
        comes before every second occurrence, so first occurrences are searched first.
        """
        fold_start = (instant + later).replace(tzinfo=None)
        fold_end = (instant + before).replace(tzinfo=None)
        for offset, wanted, mark in (
            (before, policy.first_in_fold, DstMark.FIRST_OCCURRENCE),
            (later, policy.second_in_fold, DstMark.SECOND_OCCURRENCE),
        ):
            if not wanted:
                continue
            lowest = (after + offset).replace(tzinfo=None, microsecond=0) + _SECOND
            candidate = self.matcher.next_from(*_wall(max(lowest, fold_start)))
            if candidate is not None and (naive := _naive(candidate)) < fold_end:
                return (naive - offset).replace(tzinfo=UTC), mark
        return None

    def _prev(
        self, before: datetime, zone: tzinfo, policy: _Policy
    ) -> tuple[datetime, DstMark | None] | None:
        try:  # see _next about OverflowError
            if isinstance(zone, timezone):
                offset = zone.utcoffset(None)
                local = (before.astimezone(UTC) + offset).replace(tzinfo=None)
                last = _last_whole_second_before(local)
                found = self.matcher.prev_from(*_wall(last))
                if found is None:
                    return None
                return (datetime(*found, tzinfo=UTC) - offset), None
            return self._prev_in_zone(before, zone, policy)
        except OverflowError:
            return None

    def _prev_in_zone(
        self, before: datetime, zone: tzinfo, policy: _Policy
    ) -> tuple[datetime, DstMark | None] | None:
        matcher = self.matcher
        before = before.astimezone(UTC)
        local = before.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        start = _last_whole_second_before(wall)
        whole = wall.replace(microsecond=0)
        if local.fold or _ambiguous(whole, zone):
            offset0, offset1 = zones.offsets(whole, zone)
            instant, earlier, later = zones.transition_around(whole, zone, offset0, offset1)
            found = self._prev_in_fold(before, instant, earlier, later, policy)
            if found is not None:
                return found
            start = (instant + later).replace(tzinfo=None) - _SECOND  # the last wall time before it
        while True:
            candidate = matcher.prev_from(*_wall(start))
            if candidate is None:
                return None
            naive = _naive(candidate)
            offset0, offset1 = zones.offsets(naive, zone)
            if offset0 == offset1:
                return (naive - offset0).replace(tzinfo=UTC), None
            instant, earlier, later = zones.transition_around(naive, zone, offset0, offset1)
            if earlier < later:  # a gap
                if policy.shift_gaps and instant < before:
                    return instant, DstMark.SHIFTED
                start = (instant + earlier).replace(tzinfo=None) - _SECOND
                continue
            found = self._prev_in_fold(before, instant, earlier, later, policy)
            if found is not None:
                return found
            start = (instant + later).replace(tzinfo=None) - _SECOND

    def _prev_in_fold(
        self,
        before: datetime,
        instant: datetime,
        earlier: timedelta,
        later: timedelta,
        policy: _Policy,
    ) -> tuple[datetime, DstMark | None] | None:
        """The last fire before ``before`` among the wall times the fold at ``instant`` repeats."""
        fold_start = (instant + later).replace(tzinfo=None)
        fold_end = (instant + earlier).replace(tzinfo=None)
        for offset, wanted, mark in (
            (later, policy.second_in_fold, DstMark.SECOND_OCCURRENCE),
            (earlier, policy.first_in_fold, DstMark.FIRST_OCCURRENCE),
        ):
            if not wanted:
                continue
            highest = _last_whole_second_before((before + offset).replace(tzinfo=None))
            candidate = self.matcher.prev_from(*_wall(min(highest, fold_end - _SECOND)))
            if candidate is not None and (naive := _naive(candidate)) >= fold_start:
                return (naive - offset).replace(tzinfo=UTC), mark
        return None


def _ambiguous(wall: datetime, zone: tzinfo) -> bool:
    offset0, offset1 = zones.offsets(wall, zone)
    return offset0 > offset1


def _last_whole_second_before(moment: datetime) -> datetime:
    """The latest whole second strictly before ``moment`` (naive or aware alike)."""
    if moment.microsecond:
        return moment.replace(microsecond=0)
    return moment - _SECOND


@functools.lru_cache(maxsize=4096)
def _shared(text: str, hash_key: str | None) -> CronExpression:
    return CronExpression.parse(text, hash_key=hash_key)
