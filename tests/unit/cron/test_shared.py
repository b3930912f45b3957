"""``CronExpression.shared``: one parsed expression per text (and per key, with ``H``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cronwright.cron import CronExpression, CronSyntaxError

AFTER = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_an_expression_without_h_is_one_object_whatever_the_key() -> None:
    first = CronExpression.shared("*/5 * * * *", hash_key="a")
    assert CronExpression.shared("*/5 * * * *", hash_key="b") is first
    assert first.next(AFTER, "UTC") == CronExpression.parse("*/5 * * * *").next(AFTER, "UTC")


def test_an_expression_with_h_is_kept_per_key_with_that_key_s_times() -> None:
    keys = [f"schedule-{n}" for n in range(20)]
    shared = [CronExpression.shared("H * * * *", hash_key=key) for key in keys]
    parsed = [CronExpression.parse("H * * * *", hash_key=key) for key in keys]
    assert [e.next(AFTER, "UTC") for e in shared] == [e.next(AFTER, "UTC") for e in parsed]
    assert len({e.next(AFTER, "UTC") for e in shared}) > 1  # the keys spread the minutes
    assert CronExpression.shared("H * * * *", hash_key=keys[0]) is shared[0]


def test_a_bad_expression_still_says_what_is_wrong() -> None:
    with pytest.raises(CronSyntaxError):
        CronExpression.shared("61 * * * *")
