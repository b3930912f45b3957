"""Every mistake is a ``CronSyntaxError`` naming the field, the column and the token (DESIGN §3).

The fast path (``compiled``) hands anything unusual to the full parser; the fuzz tests below
check that the two accept the same language and word their errors identically.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronwright.cron import CronExpression, CronSyntaxError, compiled, parser
from cronwright.errors import CronwrightError

# (text, field, column, token, words the reason must contain)
BAD = [
    # out of range, per field and form
    ("60 * * * *", "minute", 1, "60", "out of range 0-59"),
    ("0 24 * * *", "hour", 3, "24", "out of range 0-23"),
    ("0 0 0 * *", "day of month", 5, "0", "out of range 1-31"),
    ("0 0 32 * *", "day of month", 5, "32", "out of range 1-31"),
    ("0 0 * 13 *", "month", 7, "13", "out of range 1-12"),
    ("0 0 * * 8", "day of week", 9, "8", "out of range 0-7"),
    ("60 0 0 * * *", "second", 1, "60", "out of range 0-59"),
    ("0 0 0 * * * 1969", "year", 13, "1969", "out of range 1970-2199"),
    ("0 0 0 * * * 2200", "year", 13, "2200", "out of range 1970-2199"),
    ("1,5-70 * * * *", "minute", 5, "70", "out of range 0-59"),
    # steps
    ("*/0 * * * *", "minute", 3, "0", "step 0 is invalid"),
    ("*/61 * * * *", "minute", 3, "61", "larger than the minute range"),
    ("0 */25 * * *", "hour", 5, "25", "larger than the hour range"),
    ("0 0 * * */9", "day of week", 11, "9", "larger than the day of week range"),
    ("5/ * * * *", "minute", 2, "/", "followed by a step"),
    ("1/2/3 * * * *", "minute", 4, "/", "one '/'"),
    ("*/x * * * *", "minute", 3, "x", "not a number"),
    # lists and values
    ("1,,2 * * * *", "minute", 2, ",", "empty list item"),
    ("1, * * * *", "minute", 2, ",", "empty list item"),
    (",1 * * * *", "minute", 1, ",", "empty list item"),
    ("a * * * *", "minute", 1, "a", "not a number"),
    ("1-2-3 * * * *", "minute", 3, "2-3", "not a number"),
    ("- * * * *", "minute", 1, "-", "missing"),
    # field counts
    ("* * * *", "expression", 1, "* * * *", "found 4"),
    ("* * * * * * * *", "expression", 15, "*", "found 8"),
    ("*", "expression", 1, "*", "found 1"),
    ("", "expression", 1, "", "empty"),
    ("  \t ", "expression", 1, "", "empty"),
    # non-ASCII digits and separators
    ("\u0663 * * * *", "minute", 1, "\u0663", "not an ASCII digit"),  # Arabic-Indic three
    ("\uff15 * * * *", "minute", 1, "\uff15", "not an ASCII digit"),  # full-width five
    ("0 \uff11\uff12 * * *", "hour", 3, "\uff11", "not an ASCII digit"),
    ("0\uff0c5 * * * *", "minute", 2, "\uff0c", "ASCII digits and separators"),  # full comma
    ("0 0 * * 1\u20135", "day of week", 10, "\u2013", "ASCII"),  # en dash
    ("0\u00a00 * * * *", "minute", 2, "\u00a0", "ASCII"),  # no-break space is no separator
    # letters Python upper-cases to ASCII are not ASCII names
    ("0 0 * * \u017fun", "day of week", 9, "\u017f", "ASCII"),  # long s (U+017F) upper-cases to S
    ("0 0 * * \u017fun-mon", "day of week", 9, "\u017f", "ASCII"),
    ("0 0 * * fr\u0131", "day of week", 11, "\u0131", "ASCII"),  # dotless i upper-cases to I
    ("0 0 * jan-\u017fep *", "month", 11, "\u017f", "ASCII"),
    ("0 0 * \u017fep *", "month", 7, "\u017f", "ASCII"),
    # reversed ranges
    ("5-1 * * * *", "minute", 1, "5-1", "reversed"),
    ("0 0 * * SAT-SUN", "day of week", 9, "SAT-SUN", "reversed"),
    ("0 0 * DEC-JAN *", "month", 7, "DEC-JAN", "reversed"),
    ("0 0 0 * * * 2030-2020", "year", 13, "2030-2020", "reversed"),
    # macros
    ("@every 5m", "expression", 1, "@every 5m", "*/5 * * * *"),
    ("@reboot", "expression", 1, "@reboot", "once when a machine starts"),
    ("  @reboot", "expression", 3, "@reboot", "not a schedule"),
    ("@fortnightly", "expression", 1, "@fortnightly", "unknown macro"),
    # names
    ("0 0 * * FOO", "day of week", 9, "FOO", "unknown name 'FOO'; expected SUN-SAT"),
    ("0 0 * * foo", "day of week", 9, "foo", "unknown name 'foo'"),
    ("0 0 * JANUARY *", "month", 7, "JANUARY", "expected JAN-DEC"),
    ("0 0 * * MON#JAN", "day of week", 13, "JAN", "1 to 5"),
    ("0 MON * * *", "hour", 3, "MON", "not a number"),
    # L, W, # and ? in the wrong place or shape
    ("0 L * * *", "hour", 3, "L", "only allowed in day of month and day of week"),
    ("5L * * * *", "minute", 2, "L", "only allowed in day of month and day of week"),
    ("0 0 * l *", "month", 7, "l", "only allowed in day of month"),
    ("0 0 * * 1W", "day of week", 10, "W", "only allowed in day of month"),
    ("0 15W * * *", "hour", 5, "W", "only allowed in day of month"),
    ("0 0 1#2 * *", "day of month", 6, "#", "only allowed in day of week"),
    ("0 1#2 * * *", "hour", 4, "#", "only allowed in day of week"),
    ("0 0 * * 1-3#2", "day of week", 9, "1-3#2", "single weekday, not a range"),
    ("0 0 * * 1#6", "day of week", 11, "6", "1 to 5"),
    ("0 0 * * 1#0", "day of week", 11, "0", "1 to 5"),
    ("0 0 * * 1#", "day of week", 10, "#", "1 to 5"),
    ("0 0 * * #1", "day of week", 9, "#", "missing"),
    ("5- * * * *", "minute", 2, "-", "missing"),
    ("1,-5 * * * *", "minute", 3, "-", "missing"),
    ("0 0 * * L", "day of week", 9, "L", "ambiguous"),
    ("0 0 * * 1-5L", "day of week", 9, "1-5L", "single weekday"),
    ("0 0 * * 5L/2", "day of week", 9, "5L/2", "cannot take a step"),
    ("0 0 L/2 * *", "day of month", 5, "L/2", "cannot take a step"),
    ("0 0 L-31 * *", "day of month", 7, "31", "0 to 30"),
    ("0 0 L-x * *", "day of month", 7, "x", "0 to 30"),
    ("0 0 32W * *", "day of month", 5, "32", "out of range 1-31"),
    ("0 0 1-5W * *", "day of month", 5, "1-5W", "single day"),
    ("0 0 XL * *", "day of month", 5, "XL", "not a number"),
    ("? * * * *", "minute", 1, "?", "only allowed in day of month and day of week"),
    ("0 0 1 ? *", "month", 7, "?", "only allowed in day of month and day of week"),
    ("0 0 ?,1 * *", "day of month", 5, "?", "must stand alone"),
    ("0 0 ?/2 * *", "day of month", 5, "?/2", "cannot take a step"),
    # H
    ("0 0 0 * * * H", "year", 13, "H", "not supported in year"),
    ("H(5-1) * * * *", "minute", 1, "H(5-1)", "reversed"),
    ("H(0-60) * * * *", "minute", 5, "60", "out of range 0-59"),
    ("H5 * * * *", "minute", 1, "H5", "H(a-b)"),
    ("H/0 * * * *", "minute", 3, "0", "step 0"),
    # the whole text
    ("*" * 1025, "expression", 1, "*" * 1025, "longer than 1024"),
]


@pytest.mark.parametrize(("text", "field", "column", "token", "words"), BAD)
def test_bad_input_names_field_column_and_token(
    text: str, field: str, column: int, token: str, words: str
) -> None:
    with pytest.raises(CronSyntaxError) as caught:
        CronExpression.parse(text)
    error = caught.value
    assert (error.field, error.column, error.token) == (field, column, token)
    assert words in error.reason
    assert str(error) == f"{field}: {error.reason} (column {column})"
    assert error.text == text
    if field != "expression" and len(token) == 1:  # the token stands where the column says
        assert text[column - 1] == token


def test_the_error_is_a_cronwright_error_and_a_value_error() -> None:
    with pytest.raises(CronwrightError):
        CronExpression.parse("60 * * * *")
    with pytest.raises(ValueError, match=r"^minute: 60 is out of range 0-59 \(column 1\)$"):
        CronExpression.parse("60 * * * *")


def test_caret_lines_point_at_the_token() -> None:
    with pytest.raises(CronSyntaxError) as caught:
        CronExpression.parse("0 9 * * MON-FOO")
    assert caught.value.caret_lines() == ("0 9 * * MON-FOO", "            ^^^")


def test_a_non_string_is_a_type_error_not_a_syntax_error() -> None:
    with pytest.raises(TypeError, match="a cron expression is a str, not int"):
        CronExpression.parse(5)  # type: ignore[arg-type]


def test_an_expression_that_never_fires_parses() -> None:
    for text in ("0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 0 29 2 * 2101-2103"):
        CronExpression.parse(text)


# -- fuzz ----------------------------------------------------------------------------------------

Outcome = tuple[object, ...]


def _outcome_fast(text: str) -> Outcome:
    try:
        return ("ok", compiled.compile_expression(text, "key"))
    except CronSyntaxError as error:
        return ("error", error.field, error.column, error.token, error.reason)


def _outcome_full(text: str) -> Outcome:
    try:
        return ("ok", compiled.from_parsed(parser.parse(text, "key")))
    except CronSyntaxError as error:
        return ("error", error.field, error.column, error.token, error.reason)


def _check(text: str) -> None:
    fast = _outcome_fast(text)  # nothing but CronSyntaxError may escape either path
    full = _outcome_full(text)
    if fast[0] == "ok" and full[0] == "ok":
        # from_parsed keeps the macro name; the fast path drops it for written fields
        fast_compiled, full_compiled = fast[1], full[1]
        assert isinstance(fast_compiled, compiled.Compiled)
        assert isinstance(full_compiled, compiled.Compiled)
        assert fast_compiled._replace(macro=None) == full_compiled._replace(macro=None)
    else:
        assert fast == full


CRON_ALPHABET = "0123456789*?/,-#LWH() \tJANFEBMONSUNsatdec@lwh\u0663\uff15\uff0c"
_cron_field = st.text(alphabet=CRON_ALPHABET, min_size=0, max_size=7)
_value = st.integers(min_value=0, max_value=70).map(str) | st.sampled_from(
    ["MON", "sun", "JAN", "dec", "L", "W", "H", "?", "*", "LW", "5L", "2#3", "15W", "L-2"]
)
_item = st.builds(
    lambda a, sep, b, step: a + sep + b + step,
    _value,
    st.sampled_from(["", "-", "#"]),
    _value | st.just(""),
    st.sampled_from(["", "/1", "/2", "/7", "/0", "/60", "/"]),
)
_structured_field = st.lists(_item, min_size=1, max_size=3).map(",".join)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_parses_or_raises_a_syntax_error(text: str) -> None:
    _check(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cron_field, min_size=1, max_size=8).map(" ".join))
def test_any_text_over_the_cron_alphabet_parses_or_raises_a_syntax_error(text: str) -> None:
    _check(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(_structured_field, min_size=5, max_size=7).map(" ".join))
def test_fast_path_and_parser_agree_on_near_valid_expressions(text: str) -> None:
    _check(text)
