"""Cron text to fields, with an error that names the field, column and token for every mistake.

Any string either parses or raises :class:`CronSyntaxError`; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from cronwright.cron.fields import (
    FIVE_FIELDS,
    SEVEN_FIELDS,
    SIX_FIELDS,
    SPECS,
    FieldKind,
    FieldSpec,
)
from cronwright.cron.syntax_tree import (
    Field,
    Item,
    LastDayOfMonth,
    LastOfWeekday,
    LastWeekdayOfMonth,
    NearestWeekday,
    NthOfWeekday,
    Span,
)
from cronwright.errors import CronSyntaxError

MAX_LENGTH = 1024

MACROS: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_FIELD_TOKEN = re.compile(r"[^ \t]+")
_ALLOWED = re.compile(r"[0-9A-Za-z*?/,#()\-]+")
_NOT_ALLOWED = re.compile(r"[^0-9A-Za-z*?/,#()\-]")
_WORD = re.compile(r"[0-9A-Za-z]+")
_HASH_RANGE = re.compile(r"H\(([0-9A-Za-z]+)-([0-9A-Za-z]+)\)")


class Parsed(NamedTuple):
    """The fields of an expression, always with a second field; year is None unless written."""

    second: Field
    minute: Field
    hour: Field
    day_of_month: Field
    month: Field
    day_of_week: Field
    year: Field | None
    macro: str | None
    form: int  # how many fields were written (5, 6 or 7); a macro counts as 5


_IMPLICIT_SECOND = Field(FieldKind.SECOND, (Span(0, 0),), "0", True)


def parse(text: str, hash_key: str | None = None) -> Parsed:
    """The fields of ``text``; ``hash_key`` seeds ``H`` (None hashes like the empty string)."""
    stripped = check_text(text)
    if stripped.startswith("@"):
        return parse_macro(text, stripped)
    tokens = split(text)
    kinds = kinds_for(text, tokens)
    key = "" if hash_key is None else hash_key
    fields = [
        parse_field(SPECS[kind], token, column, text, key)
        for kind, (token, column) in zip(kinds, tokens, strict=True)
    ]
    if len(fields) == 5:
        fields.insert(0, _IMPLICIT_SECOND)
    second, minute, hour, day_of_month, month, day_of_week = fields[:6]
    year = fields[6] if len(fields) == 7 else None
    return Parsed(second, minute, hour, day_of_month, month, day_of_week, year, None, len(tokens))


def check_text(text: str) -> str:
    """The text without surrounding blanks, once it is known to be a non-empty string."""
    if not isinstance(text, str):
        raise TypeError(f"a cron expression is a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _whole(text, f"the expression is longer than {MAX_LENGTH} characters")
    stripped = text.strip(" \t")
    if not stripped:
        raise _whole(text, "the expression is empty")
    return stripped


def kinds_for(text: str, tokens: list[tuple[str, int]]) -> tuple[FieldKind, ...]:
    """Which field each token is, from how many there are (5, 6 or 7)."""
    count = len(tokens)
    if count == 5:
        return FIVE_FIELDS
    if count == 6:
        return SIX_FIELDS
    if count == 7:
        return SEVEN_FIELDS
    column = tokens[7][1] if count > 7 else 1
    token = tokens[7][0] if count > 7 else text.strip(" \t")
    raise CronSyntaxError(
        f"expected 5, 6 or 7 fields separated by spaces, found {count}",
        field="expression",
        column=column,
        token=token,
        text=text,
    )


def split(text: str) -> list[tuple[str, int]]:
    """The fields and their 1-based columns; fields are separated by runs of spaces or tabs."""
    if "\t" in text:
        return [(m.group(), m.start() + 1) for m in _FIELD_TOKEN.finditer(text)]
    tokens = []
    column = 1
    for part in text.split(" "):
        if part:
            tokens.append((part, column))
        column += len(part) + 1
    return tokens


def _whole(text: str, reason: str) -> CronSyntaxError:
    return CronSyntaxError(reason, field="expression", column=1, token=text.strip(), text=text)


def parse_macro(text: str, stripped: str) -> Parsed:
    column = text.index("@") + 1
    name = stripped.lower()
    if name == "@reboot":
        raise CronSyntaxError(
            "@reboot runs once when a machine starts, which is not a schedule; "
            "use a time such as @daily or trigger the workflow on start-up yourself",
            field="expression",
            column=column,
            token=stripped,
            text=text,
        )
    expansion = MACROS.get(name)
    if expansion is None:
        hint = (
            "; write an interval as a step, e.g. '*/5 * * * *'" if name.startswith("@every") else ""
        )
        raise CronSyntaxError(
            f"unknown macro {stripped!r}; expected one of {', '.join(MACROS)}{hint}",
            field="expression",
            column=column,
            token=stripped,
            text=text,
        )
    parsed = parse(expansion)
    return Parsed(
        second=parsed.second,
        minute=parsed.minute,
        hour=parsed.hour,
        day_of_month=parsed.day_of_month,
        month=parsed.month,
        day_of_week=parsed.day_of_week,
        year=None,
        macro=name,
        form=5,
    )


class _FieldParser:
    """Parses one field; ``column`` is where the field starts in ``text`` (1-based)."""

    def __init__(self, spec: FieldSpec, field_text: str, column: int, text: str, key: str) -> None:
        self.spec = spec
        self.field_text = field_text
        self.column = column
        self.text = text
        self.key = key

    def error(self, reason: str, offset: int, token: str) -> CronSyntaxError:
        # Items are read upper-cased (names and letters match in any case); report the token
        # as written, so that it is what stands at ``column`` in the text.
        written = self.field_text[offset : offset + len(token)]
        if written != token and written.upper() == token:
            reason = reason.replace(repr(token), repr(written))
            token = written
        return CronSyntaxError(
            reason,
            field=self.spec.label,
            column=self.column + offset,
            token=token,
            text=self.text,
        )

    def parse(self) -> Field:
        field_text = self.field_text
        if not _ALLOWED.fullmatch(field_text):
            bad = _NOT_ALLOWED.search(field_text)
            assert bad is not None  # the full match failed, so some character is not allowed
            char = bad.group()
            if char.isdigit():
                reason = f"{char!r} is not an ASCII digit"
            elif not char.isascii():
                reason = f"unexpected character {char!r}; cron uses ASCII digits and separators"
            else:
                reason = f"unexpected character {char!r}"
            raise self.error(reason, bad.start(), char)
        items: list[Item] = []
        offset = 0
        for part in field_text.split(","):
            if not part:  # point at the comma before the empty item (or the leading one)
                at = offset - 1 if offset else 0
                raise self.error("empty list item (two commas, or a comma at an end)", at, ",")
            items.append(self.item(part, offset))
            offset += len(part) + 1
        if len(items) > 1 and "?" in field_text:
            raise self.error("'?' must stand alone in its field", field_text.index("?"), "?")
        restricted = not (field_text.startswith("*") or field_text == "?")
        return Field(self.spec.kind, tuple(items), field_text, restricted)

    def item(self, part: str, offset: int) -> Item:
        upper = part.upper()
        base, slash, step_text = upper.partition("/")
        step = self.step(step_text, offset + len(base) + 1) if slash else None
        kind = self.spec.kind
        if base == "*":
            return Span(self.spec.low, self.spec.high, step or 1, wildcard=True)
        if base == "?":
            if kind not in (FieldKind.DAY_OF_MONTH, FieldKind.DAY_OF_WEEK):
                raise self.error(
                    "'?' is only allowed in day of month and day of week", offset, part
                )
            if step is not None:
                raise self.error("'?' cannot take a step", offset, part)
            return Span(self.spec.low, self.spec.high, 1, wildcard=True)
        if base.startswith("H"):
            return self.hashed(base, step, part, offset)
        special = self.special(base, part, offset, step)
        if special is not None:
            return special
        start_text, dash, end_text = base.partition("-")
        start = self.value(start_text, offset)
        if dash:
            end = self.value(end_text, offset + len(start_text) + 1)
            if start > end:
                raise self.error(
                    f"range {start_text}-{end_text} is reversed; write it from low to high "
                    "(a range cannot wrap around)",
                    offset,
                    part,
                )
            return Span(start, end, step or 1)
        if step is not None:  # "a/s": from a to the end of the field
            return Span(start, self.spec.high, step, open_ended=True)
        return Span(start, start)

    def step(self, step_text: str, offset: int) -> int:
        if not step_text:
            raise self.error("'/' must be followed by a step", offset - 1, "/")
        if "/" in step_text:
            raise self.error("a step takes one '/'", offset + step_text.index("/"), "/")
        if not step_text.isdigit():
            raise self.error(f"step {step_text!r} is not a number", offset, step_text)
        step = int(step_text)
        if step == 0:
            raise self.error("step 0 is invalid; a step must be at least 1", offset, step_text)
        if step > self.spec.span:
            raise self.error(
                f"step {step} is larger than the {self.spec.label} range "
                f"{self.spec.low}-{self.spec.high}",
                offset,
                step_text,
            )
        return step

    def value(self, token: str, offset: int) -> int:
        spec = self.spec
        if not token:  # point at the separator next to the gap: "-5", "5-", "#2"
            at = offset if offset < len(self.field_text) else offset - 1
            raise self.error("a value is missing", at, self.field_text[at])
        if token.isdigit():
            number = int(token)
        elif token in spec.names:
            number = spec.names[token]
        elif spec.names and _WORD.fullmatch(token) and not token[0].isdigit():
            names = list(spec.names)
            raise self.error(
                f"unknown name {token!r}; expected {names[0]}-{names[-1]} or a number",
                offset,
                token,
            )
        else:
            raise self.error(f"{token!r} is not a number", offset, token)
        if not spec.low <= number <= spec.high:
            raise self.error(
                f"{token} is out of range {spec.low}-{spec.high}",
                offset,
                token,
            )
        return number

    def special(self, base: str, part: str, offset: int, step: int | None) -> Item | None:
        """``L``, ``L-n``, ``LW``, ``nW`` (day of month); ``nL``, ``n#k`` (day of week)."""
        kind = self.spec.kind
        if kind is FieldKind.DAY_OF_MONTH:
            if base in ("L", "LW") or base.startswith("L-") or base.endswith("W"):
                self.refuse_step(base, part, offset, step)
                return self.day_of_month_special(base, part, offset)
            if "#" in base:
                raise self.error(
                    "'#' is only allowed in day of week", offset + base.index("#"), "#"
                )
            return None
        if kind is FieldKind.DAY_OF_WEEK:
            if "#" in base or (base.endswith("L") and base not in self.spec.names):
                self.refuse_step(base, part, offset, step)
                return self.day_of_week_special(base, part, offset)
            if base.endswith("W") and base[:-1].isdigit():
                raise self.error("'W' is only allowed in day of month", offset + len(base) - 1, "W")
            return None
        for word in _WORD.findall(base):
            if word.isdigit() or word in self.spec.names:
                continue
            rest = word.replace("L", "").replace("W", "")
            for char, where in (("L", "day of month and day of week"), ("W", "day of month")):
                if char in word and (not rest or rest.isdigit()):
                    at = offset + base.index(word) + word.index(char)
                    raise self.error(f"'{char}' is only allowed in {where}", at, char)
        if "#" in base:
            raise self.error("'#' is only allowed in day of week", offset + base.index("#"), "#")
        return None

    def refuse_step(self, base: str, part: str, offset: int, step: int | None) -> None:
        if step is not None:
            raise self.error(f"{base!r} cannot take a step", offset, part)

    def day_of_month_special(self, base: str, part: str, offset: int) -> Item:
        if base == "L":
            return LastDayOfMonth(0)
        if base == "LW":
            return LastWeekdayOfMonth()
        if base.startswith("L-"):
            text = base[2:]
            if not text.isdigit() or not 0 <= int(text) <= 30:
                raise self.error(
                    f"L-{text}: the offset must be a number from 0 to 30", offset + 2, text or part
                )
            return LastDayOfMonth(int(text))
        if base.endswith("W") and "-" not in base and "L" not in base:
            day = self.value(base[:-1], offset)
            return NearestWeekday(day)
        if base.endswith("W"):
            raise self.error("'W' takes a single day, as in 15W or LW", offset, part)
        raise self.error(
            f"{part!r} is not a valid day of month; 'L' stands alone, as L-n or LW", offset, part
        )

    def day_of_week_special(self, base: str, part: str, offset: int) -> Item:
        if "#" in base:
            weekday_text, _, nth_text = base.partition("#")
            if "-" in weekday_text:
                raise self.error("'#' needs a single weekday, not a range", offset, part)
            weekday = self.value(weekday_text, offset) % 7
            nth_offset = offset + len(weekday_text) + 1
            if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
                raise self.error(
                    f"#{nth_text}: the occurrence must be a number from 1 to 5",
                    nth_offset if nth_text else nth_offset - 1,
                    nth_text or "#",
                )
            return NthOfWeekday(weekday, int(nth_text))
        if base == "L":
            raise self.error(
                "'L' alone is ambiguous in day of week; write the weekday before it, as 5L "
                "or FRIL for the last Friday",
                offset,
                part,
            )
        if base.endswith("L") and "-" not in base:
            weekday = self.value(base[:-1], offset) % 7
            return LastOfWeekday(weekday)
        raise self.error(
            f"{part!r} is not a valid day of week; 'L' follows a single weekday", offset, part
        )

    def hashed(self, base: str, step: int | None, part: str, offset: int) -> Span:
        spec = self.spec
        if spec.kind is FieldKind.YEAR:
            raise self.error("'H' is not supported in year", offset, part)
        if base == "H":
            low, high = spec.low, spec.hash_high if spec.hash_high is not None else spec.high
        else:
            match = _HASH_RANGE.fullmatch(base)
            if match is None:
                raise self.error(
                    "'H' takes the form H, H(a-b), H/step or H(a-b)/step", offset, part
                )
            low = self.value(match.group(1), offset + 2)
            high = self.value(match.group(2), offset + 3 + len(match.group(1)))
            if low > high:
                raise self.error(f"range {low}-{high} in H(...) is reversed", offset, part)
        seed = _stable_hash(self.key, spec.kind)
        if step is None:
            value = low + seed % (high - low + 1)
            return Span(value, value, hashed=True)
        start = low + seed % min(step, high - low + 1)
        return Span(start, high, step, hashed=True)


def _stable_hash(key: str, kind: FieldKind) -> int:
    """A hash of the key that is the same in every process and on every machine."""
    data = f"{key}\x00{kind.value}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def parse_field(spec: FieldSpec, token: str, column: int, text: str, key: str) -> Field:
    """One field; ``column`` is where ``token`` starts in ``text`` (1-based)."""
    return _FieldParser(spec, token, column, text, key).parse()
