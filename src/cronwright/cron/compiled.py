"""Cron text straight to bit masks: the fast path behind ``CronExpression.parse``.

Most fields are ``*``, numbers, names, ranges, steps and lists of those; they compile here
without building a syntax tree. Anything else (``L``, ``W``, ``#``, ``H``, ``?``) and every
mistake goes through :mod:`cronwright.cron.parser`, which builds the tree and words the errors,
so both paths accept exactly the same language.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cronwright.cron import parser
from cronwright.cron.fields import (
    FIVE_FIELDS,
    SEVEN_FIELDS,
    SIX_FIELDS,
    SPECS,
    FieldKind,
    FieldSpec,
)
from cronwright.cron.syntax_tree import DayItem, Field, LastDayOfMonth, Span

_SIMPLE = re.compile(r"(\*|[0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?(?:/([0-9]+))?")
_FULL = {kind: ((2 << spec.high) - 1) ^ ((1 << spec.low) - 1) for kind, spec in SPECS.items()}
_ALL_DAYS = _FULL[FieldKind.DAY_OF_MONTH]
_ALL_WEEKDAYS = 0x7F  # bits 0-6 once 7 is folded onto 0


class Compiled(NamedTuple):
    """Bit masks per field (bit v set = value v allowed) and what the day rule needs."""

    seconds: int
    minutes: int
    hours: int
    days: int  # plain day-of-month values
    day_items: tuple[DayItem, ...]  # L, L-n, nW, LW
    months: int
    weekdays: int  # plain day-of-week values, Sunday as bit 0
    weekday_items: tuple[DayItem, ...]  # nL, n#k
    years: int | None  # None: no year field, every year matches
    union_days: bool  # Vixie: both day fields restricted, so a day matches either
    fixed_time: bool  # ISC cron: no '*' at the start of second, minute or hour
    macro: str | None

    @property
    def every_day(self) -> bool:
        """Whether every day of every month matches, whatever its weekday."""
        dom_full = self.days & _ALL_DAYS == _ALL_DAYS
        dow_full = self.weekdays & _ALL_WEEKDAYS == _ALL_WEEKDAYS
        if self.union_days:
            return dom_full or dow_full
        return dom_full and dow_full and not self.day_items and not self.weekday_items

    @property
    def days_depend_on_weekday(self) -> bool:
        dow_full = self.weekdays & _ALL_WEEKDAYS == _ALL_WEEKDAYS and not self.weekday_items
        plain_dom = all(type(item) is LastDayOfMonth for item in self.day_items)
        return not (dow_full and plain_dom and not self.union_days) and not self.every_day


def span_mask(start: int, end: int, step: int) -> int:
    """Bits start, start + step, ... up to end. A step's bits are a geometric series in powers
    of two, summed in one division: (2^(step*count) - 1) / (2^step - 1) = 1 + 2^step + ..."""
    if step == 1:
        return ((2 << end) - 1) ^ ((1 << start) - 1)
    count = (end - start) // step + 1
    return ((1 << step * count) - 1) // ((1 << step) - 1) << start


def _value(spec: FieldSpec, token: str) -> int | None:
    number = int(token) if token.isdigit() else spec.names.get(token.upper())
    if number is None or not spec.low <= number <= spec.high:
        return None
    return number


def _common_tokens(spec: FieldSpec) -> dict[str, int]:
    """The mask of every ``*/step``, value and ``a-b`` range of a field, numbers and names
    (upper case): the tokens most expressions are made of, looked up instead of parsed."""
    values = {str(v): v for v in range(spec.low, spec.high + 1)} | spec.names
    tokens = {f"*/{step}": span_mask(spec.low, spec.high, step) for step in range(1, spec.span + 1)}
    for start_text, start in values.items():
        tokens[start_text] = 1 << start
        for end_text, end in values.items():
            if start <= end:
                tokens[f"{start_text}-{end_text}"] = span_mask(start, end, 1)
    return tokens


# Years are left out: 1970-2199 has 26,000 ranges and 7-field expressions are rare.
_COMMON_TOKENS: dict[FieldKind, dict[str, int]] = {
    kind: _common_tokens(spec) for kind, spec in SPECS.items() if kind != FieldKind.YEAR
}


def _fast_mask(spec: FieldSpec, token: str) -> int | None:
    """The field's mask, or None when the general parser must look at it."""
    if not token.isascii():  # str.upper() folds some other letters to ASCII (U+017F to 'S')
        return None
    common = _COMMON_TOKENS.get(spec.kind)
    if common is not None:
        found = common.get(token)
        if found is None and not token.isupper():
            found = common.get(token.upper())
        if found is not None:
            return found
    mask = 0
    for part in token.split(","):
        simple = _SIMPLE.fullmatch(part)
        if simple is None:
            return None
        first, last, step_text = simple.groups()
        step = 1
        if step_text is not None:
            step = int(step_text)
            if not 1 <= step <= spec.span:
                return None
        if first == "*":
            if last is not None:
                return None
            start, end = spec.low, spec.high
        else:
            start_value = _value(spec, first)
            if start_value is None:
                return None
            start = start_value
            if last is not None:
                end_value = _value(spec, last)
                if end_value is None or end_value < start:
                    return None
                end = end_value
            else:
                end = spec.high if step_text is not None else start
        mask |= span_mask(start, end, step)
    return mask


def _field_mask(field: Field) -> tuple[int, tuple[DayItem, ...]]:
    mask = 0
    specials: list[DayItem] = []
    for item in field.items:
        if type(item) is Span:
            mask |= span_mask(item.start, item.end, item.step)
        else:
            specials.append(item)  # type: ignore[arg-type]  # the rest are day items
    return mask, tuple(specials)


# For each form: (slot in the 7-slot layout, spec) per written field.
_SLOTS = {
    count: tuple((int(kind), SPECS[kind]) for kind in kinds)
    for count, kinds in ((5, FIVE_FIELDS), (6, SIX_FIELDS), (7, SEVEN_FIELDS))
}
_DAY_SLOT, _WEEKDAY_SLOT = int(FieldKind.DAY_OF_MONTH), int(FieldKind.DAY_OF_WEEK)


def compile_expression(text: str, hash_key: str | None) -> Compiled:
    """Validate ``text`` and compile it; raise ``CronSyntaxError`` just as the parser does."""
    stripped = parser.check_text(text)
    if stripped[0] == "@":
        return from_parsed(parser.parse_macro(text, stripped))
    tokens = parser.split(text)
    slots = _SLOTS.get(len(tokens))
    if slots is None:
        parser.kinds_for(text, tokens)  # raises the field-count error
        raise AssertionError("unreachable")
    masks = [1, 0, 0, 0, 0, 0, 0]  # second 0 unless written
    day_items: tuple[DayItem, ...] = ()
    weekday_items: tuple[DayItem, ...] = ()
    for (slot, spec), (token, column) in zip(slots, tokens, strict=True):
        if token == "*":
            mask: int | None = _FULL[spec.kind]
        elif token.isdigit() and token.isascii() and spec.low <= int(token) <= spec.high:
            mask = 1 << int(token)
        else:
            mask = None if token == "?" else _fast_mask(spec, token)
        if mask is None:
            field = parser.parse_field(
                spec, token, column, text, "" if hash_key is None else hash_key
            )
            mask, specials = _field_mask(field)
            if slot == _DAY_SLOT:
                day_items = specials
            elif slot == _WEEKDAY_SLOT:
                weekday_items = specials
        masks[slot] = mask
    seconds_written = len(tokens) != 5
    day_token = tokens[2 + seconds_written][0]
    weekday_token = tokens[4 + seconds_written][0]
    leading = tokens[: 2 + seconds_written]
    return Compiled(
        masks[0],
        masks[1],
        masks[2],
        masks[3],
        day_items,
        masks[4],
        _fold_sunday(masks[5]),
        weekday_items,
        masks[6] if len(tokens) == 7 else None,
        _restricted(day_token) and _restricted(weekday_token),
        not any(token[0] == "*" for token, _ in leading),
        None,
    )


def _restricted(token: str) -> bool:
    return not (token[0] == "*" or token == "?")


def _fold_sunday(mask: int) -> int:
    return (mask | 1) & _ALL_WEEKDAYS if mask & 0x80 else mask


def from_parsed(parsed: parser.Parsed) -> Compiled:
    """Compile an already parsed expression (macros take this way)."""
    fields = (parsed.second, parsed.minute, parsed.hour)
    days, day_items = _field_mask(parsed.day_of_month)
    weekdays, weekday_items = _field_mask(parsed.day_of_week)
    return Compiled(
        seconds=_field_mask(parsed.second)[0],
        minutes=_field_mask(parsed.minute)[0],
        hours=_field_mask(parsed.hour)[0],
        days=days,
        day_items=day_items,
        months=_field_mask(parsed.month)[0],
        weekdays=_fold_sunday(weekdays),
        weekday_items=weekday_items,
        years=None if parsed.year is None else _field_mask(parsed.year)[0],
        union_days=parsed.day_of_month.restricted and parsed.day_of_week.restricted,
        fixed_time=not any(f.text.startswith("*") for f in fields),
        macro=parsed.macro,
    )
