"""Cron expressions in plain English.

Each part of the expression becomes a phrase: the time of day first, then the days, the months
and the years, e.g. "Every 15 minutes, between 09:00 and 17:59, Monday through Friday". Phrases are
built from the syntax tree's values, so names, ``?`` and ``H`` are already resolved and the sentence
says when the expression fires rather than how it was spelled. Times are 24-hour ``HH:MM``, with
seconds only when they are not zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

from cronwright.cron.fields import SPECS, FieldSpec
from cronwright.cron.parser import Parsed
from cronwright.cron.syntax_tree import (
    Field,
    LastDayOfMonth,
    LastOfWeekday,
    LastWeekdayOfMonth,
    NearestWeekday,
    NthOfWeekday,
    Span,
)

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINALS = ("first", "second", "third", "fourth", "fifth")

# Up to this many times of day are listed one by one ("At 00:00 and 12:00").
MAX_LISTED_TIMES = 12

Cadence = Literal["bounded", "regular", "irregular"]


class _Phrase(NamedTuple):
    text: str
    tight: bool  # follows the previous phrase after a space ("At 09:00 on Monday"), else a comma


def describe(parsed: Parsed) -> str:
    """A sentence saying when the expression fires, e.g. "At 09:00, Monday through Friday"."""
    phrases = [
        _time(parsed),
        _days(parsed),
        _months(parsed.month),
        _years(parsed.year),
    ]
    first, *rest = [phrase for phrase in phrases if phrase is not None]
    sentence = first.text + "".join((" " if p.tight else ", ") + p.text for p in rest)
    return sentence[0].upper() + sentence[1:]


# -- shared helpers ------------------------------------------------------------------------------


def _values(field: Field) -> list[int]:
    """Every value the field's plain spans allow, ascending (L, W and # items excluded)."""
    return sorted({v for item in field.items if isinstance(item, Span) for v in item.values()})


def _runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive values grouped into ``(first, last)`` runs: 1,2,3,7 -> (1, 3), (7, 7)."""
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _words(runs: Sequence[tuple[int, int]], name: Callable[[int], str]) -> list[str]:
    """Runs of three or more read "a through b"; shorter ones are listed value by value."""
    words: list[str] = []
    for first, last in runs:
        if last - first >= 2:
            words.append(f"{name(first)} through {name(last)}")
        else:
            words.extend(name(value) for value in range(first, last + 1))
    return words


def _join(words: Sequence[str], conjunction: str = "and") -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def _hhmm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _stepped(field: Field) -> Span | None:
    """The field's only item, when it is a span with a step that reaches more than one value."""
    if len(field.items) != 1:
        return None
    item = field.items[0]
    if isinstance(item, Span) and item.step > 1 and len(item.values()) > 1:
        return item
    return None


def _cadence(span: Span, spec: FieldSpec) -> Cadence:
    """How "every N units" fits the span.

    ``bounded``: the span stops before the field's end, so the phrase names both ends.
    ``regular``: it runs to the end and the gap across the wrap (59 -> 0) equals the step, so
    "every N" is exactly true. ``irregular``: the wrap breaks the rhythm (``*/45`` fires at :00 and
    :45, 15 minutes apart across the hour), so the values are better listed.
    """
    values = span.values()
    last = values[-1]
    if last + span.step <= spec.high:
        return "bounded"
    if last + span.step - spec.span == values[0]:
        return "regular"
    return "irregular"


def _is_full(field: Field) -> bool:
    return len(_values(field)) == SPECS[field.kind].span


# -- time of day ---------------------------------------------------------------------------------


def _time(parsed: Parsed) -> _Phrase:
    listed = _listed_times(parsed)
    if listed is not None:
        return _Phrase("at " + _join(listed), tight=True)
    second = _seconds(parsed.second)
    minutes = None if second is None else _listed_minutes(parsed)
    if second is not None and minutes is not None:
        # Seconds tick within a few exact minutes: "every 15 seconds, between 09:00:00 and ..."
        return _Phrase(f"{second}, " + _join(minutes), tight=True)
    hours, every_n_hours = _hours(parsed.hour)
    parts: list[str | None]
    if second is None and _values(parsed.minute) == [0]:
        # On the hour: "every hour" or "every 2 hours" says it all.
        parts = [hours] if every_n_hours else ["every hour", hours]
    else:
        minute = _within(parsed.minute, "minute", "hour")
        if minute is None and second is None:
            minute = "every minute"
        parts = [second, minute, hours]
    return _Phrase(", ".join(part for part in parts if part), tight=True)


def _seconds(field: Field) -> str | None:
    """None for the usual "on the minute" (second 0), which goes without saying."""
    if _values(field) == [0]:
        return None
    return _within(field, "second", "minute") or "every second"


def _discrete(field: Field) -> bool:
    """Whether the field is best read as a list of values rather than as an interval."""
    if all(isinstance(item, Span) and len(item.values()) == 1 for item in field.items):
        return True
    span = _stepped(field)
    return span is not None and _cadence(span, SPECS[field.kind]) == "irregular"


def _listed_times(parsed: Parsed) -> list[str] | None:
    """A few exact times of day ("09:00", "12:30:15"), or None when an interval reads better."""
    fields = (parsed.hour, parsed.minute, parsed.second)
    if not all(_discrete(field) for field in fields):
        return None
    hours, minutes, seconds = (_values(field) for field in fields)
    if len(hours) * len(minutes) * len(seconds) > MAX_LISTED_TIMES:
        return None
    with_seconds = seconds != [0]
    return [
        _hhmm(h, m) + (f":{s:02d}" if with_seconds else "")
        for h in hours
        for m in minutes
        for s in seconds
    ]


def _listed_minutes(parsed: Parsed) -> list[str] | None:
    """Windows for a few exact minutes ("between 09:00:00 and 09:00:59"), or None."""
    if not (_discrete(parsed.hour) and _discrete(parsed.minute)):
        return None
    hours, minutes = _values(parsed.hour), _values(parsed.minute)
    if len(hours) * len(minutes) > MAX_LISTED_TIMES:
        return None
    return [f"between {_hhmm(h, m)}:00 and {_hhmm(h, m)}:59" for h in hours for m in minutes]


def _within(field: Field, unit: str, container: str) -> str | None:
    """A phrase for a second or minute field; None when it allows every value."""
    spec = SPECS[field.kind]
    if _is_full(field):
        return None
    span = _stepped(field)
    if span is not None:
        values = list(span.values())
        every = f"every {span.step} {unit}s"
        cadence = _cadence(span, spec)
        if cadence == "bounded":
            return f"{every} from {values[0]} through {values[-1]} past the {container}"
        if cadence == "regular":
            if values[0] == spec.low:
                return every
            return f"{every}, starting at {_count(values[0], unit)} past the {container}"
    values = _values(field)
    runs = _runs(values)
    if len(runs) == 1 and runs[0][0] != runs[0][1]:
        return f"every {unit} from {runs[0][0]} through {runs[0][1]} past the {container}"
    if len(values) == 1:
        return f"at {_count(values[0], unit)} past the {container}"
    return f"at {_join(_words(runs, str))} {unit}s past the {container}"


def _hours(field: Field) -> tuple[str | None, bool]:
    """A phrase for the hour field and whether it is an "every N hours" phrase."""
    if _is_full(field):
        return None, False
    span = _stepped(field)
    if span is not None:
        values = list(span.values())
        every = f"every {span.step} hours"
        cadence = _cadence(span, SPECS[field.kind])
        if cadence == "bounded":
            return f"{every}, between {_hhmm(values[0], 0)} and {_hhmm(values[-1], 59)}", True
        if cadence == "regular":
            if values[0] == 0:
                return every, True
            return f"{every}, starting at {_hhmm(values[0], 0)}", True
    windows = [
        f"between {_hhmm(first, 0)} and {_hhmm(last, 59)}" for first, last in _runs(_values(field))
    ]
    return _join(windows), False


# -- days ----------------------------------------------------------------------------------------


def _days(parsed: Parsed) -> _Phrase | None:
    """Day of month and day of week together, under the Vixie day rule.

    When both fields are restricted a day matches either ("or"); otherwise it must match both
    ("and"). A side that allows every day makes the "or" cover every day, so nothing is said.
    """
    month_days = _month_days(parsed.day_of_month)
    weekdays = _weekdays(parsed.day_of_week)
    union = parsed.day_of_month.restricted and parsed.day_of_week.restricted
    if union and (not month_days or not weekdays):
        return None
    if not month_days and not weekdays:
        return None
    if not weekdays:
        return _phrase(month_days)
    if not month_days:
        plain, *special = weekdays
        if plain and " through " in plain and "," not in plain and " and " not in plain:
            # A single range reads best bare: "At 09:00, Monday through Friday".
            return _phrase([plain, *(f"on {text}" for text in special)])
        return _phrase([f"on {text}" for text in weekdays if text])
    conjunction = "or" if union else "and"
    on_weekdays = _join([f"on {text}" for text in weekdays if text])
    return _Phrase(
        f"{_join(month_days)} {conjunction} {on_weekdays}", month_days[0].startswith("on ")
    )


def _phrase(texts: Sequence[str]) -> _Phrase:
    texts = [text for text in texts if text]
    return _Phrase(_join(texts), texts[0].startswith(("on ", "in ")))


def _month_days(field: Field) -> list[str]:
    """Phrases for the day-of-month field; empty when it allows every day."""
    spec = SPECS[field.kind]
    if _is_full(field):
        return []
    phrases: list[str] = []
    span = _stepped(field)
    if span is not None:
        values = list(span.values())
        every = f"every {span.step} days"
        if _cadence(span, spec) == "bounded":
            phrases.append(f"{every} from day {values[0]} through {values[-1]} of the month")
        elif values[0] == spec.low:
            phrases.append(every)
        else:
            phrases.append(f"{every}, starting on day {values[0]} of the month")
    elif values := _values(field):
        days = "day" if len(values) == 1 else "days"
        phrases.append(f"on {days} {_join(_words(_runs(values), str))} of the month")
    phrases.extend(_month_day_item(item) for item in field.items if not isinstance(item, Span))
    return phrases


def _month_day_item(item: object) -> str:
    if isinstance(item, LastDayOfMonth):
        if item.offset == 0:
            return "on the last day of the month"
        return f"{_count(item.offset, 'day')} before the last day of the month"
    if isinstance(item, NearestWeekday):
        return f"on the weekday nearest day {item.day} of the month"
    if isinstance(item, LastWeekdayOfMonth):
        return "on the last weekday of the month"
    raise AssertionError(f"not a day-of-month item: {item!r}")


def _weekdays(field: Field) -> list[str]:
    """Phrases for the day-of-week field, without their "on"; empty when it allows every day.

    The first phrase names the plain weekdays ("Monday through Friday"; empty if there are none),
    the rest the ``nL`` and ``n#k`` items. Sunday is 0 and 7 alike.
    """
    days = sorted({value % 7 for value in _values(field)})
    if len(days) == 7:
        return []
    runs = _runs(days)
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 6:
        # Weeks wrap: Friday through Sunday is one run, not "Sunday, Friday and Saturday".
        runs = [*runs[1:-1], (runs[-1][0], runs[0][1] + 7)]
    plain = _join(_words(runs, lambda day: WEEKDAYS[day % 7])) if runs else ""
    special = [_weekday_item(item) for item in field.items if not isinstance(item, Span)]
    return [plain, *special]


def _weekday_item(item: object) -> str:
    if isinstance(item, LastOfWeekday):
        return f"the last {WEEKDAYS[item.weekday % 7]} of the month"
    if isinstance(item, NthOfWeekday):
        return f"the {ORDINALS[item.nth - 1]} {WEEKDAYS[item.weekday % 7]} of the month"
    raise AssertionError(f"not a day-of-week item: {item!r}")


# -- months and years ----------------------------------------------------------------------------


def _months(field: Field) -> _Phrase | None:
    if _is_full(field):
        return None
    return _named(_runs(_values(field)), lambda month: MONTHS[month - 1])


def _years(field: Field | None) -> _Phrase | None:
    if field is None or _is_full(field):
        return None
    span = _stepped(field)
    if span is not None:
        values = list(span.values())
        text = f"every {span.step} years from {values[0]}"
        if _cadence(span, SPECS[field.kind]) == "bounded":
            text += f" through {values[-1]}"
        return _Phrase(text, tight=False)
    return _named(_runs(_values(field)), str)


def _named(runs: list[tuple[int, int]], name: Callable[[int], str]) -> _Phrase:
    """A single range reads ", January through March"; anything else "in January and July"."""
    words = _words(runs, name)
    if len(words) == 1 and " through " in words[0]:
        return _Phrase(words[0], tight=False)
    return _Phrase("in " + _join(words), tight=True)
