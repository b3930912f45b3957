"""Converting a celery beat schedule: crontab() and intervals become cron, the result applies
cleanly, and what cron cannot say exactly is refused with the entry's name."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cronwright import cron, service
from cronwright.actions import celery_beat
from cronwright.clock import FakeClock
from cronwright.service import declarative
from cronwright.store.catalog import sql_catalog
from tests.conftest import fresh_database_url

schedules = pytest.importorskip("celery.schedules")

BEAT = {
    "digest": {
        "task": "reports.digest",
        "schedule": schedules.crontab(minute=0, hour=7, day_of_week="mon-fri"),
        "args": (16, 16),
        "options": {"queue": "reports"},
    },
    "sync": {"task": "crm.sync", "schedule": timedelta(minutes=15), "kwargs": {"full": False}},
    "ping": {"task": "ops.ping", "schedule": 30.0},
    "monthly": {
        "task": "billing.invoice",
        "schedule": schedules.crontab(minute="30", hour="9", day_of_month="1"),
    },
    "every": {"task": "ops.tick", "schedule": schedules.schedule(run_every=timedelta(hours=6))},
}


def test_a_beat_schedule_converts_to_a_document_that_applies(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    document = celery_beat.beat_to_apply(
        BEAT, organization="acme", broker_url="redis://localhost:6379/0", timezone="Europe/Paris"
    )
    crons = {s["name"]: s["cron"] for s in document["schedules"]}
    assert crons == {
        "digest": "0 7 * * mon-fri",
        "sync": "*/15 * * * *",
        "ping": "*/30 * * * * *",
        "monthly": "30 9 1 * *",
        "every": "0 */6 * * *",
    }
    [digest] = [w for w in document["workflows"] if w["name"] == "digest"]
    assert digest["steps"] == [
        {
            "name": "send",
            "kind": "celery",
            "config": {
                "task": "reports.digest",
                "broker_url": "redis://localhost:6379/0",
                "args": [16, 16],
                "queue": "reports",
            },
        }
    ]
    # The YAML a user would commit applies as it is, with every step config checked.
    text = yaml.safe_dump(document, sort_keys=False)
    store = sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path))
    try:
        clock = FakeClock(datetime(2026, 3, 2, tzinfo=UTC))
        from cronwright import actions

        svc = service.Service.build(
            store, clock, check_config=actions.config_checker(allow_shell=False)
        )
        applier = declarative.Declarative(svc, store, clock)
        plan = applier.plan(declarative.load(text, file="beat.yaml"))
        applier.apply(plan, author="test")
        [org] = store.list_organizations()
        made = {s.spec.name: s.spec.timezone for s in svc.schedules.list(org.id).items}
        assert made == dict.fromkeys(crons, "Europe/Paris")
    finally:
        store.close()


def test_what_cron_cannot_say_is_refused_naming_every_entry() -> None:
    beat = {
        "both-days": {
            "task": "t",
            "schedule": schedules.crontab(minute=0, hour=0, day_of_month="1-7", day_of_week="mon"),
        },
        "odd": {"task": "t", "schedule": timedelta(minutes=7)},
        "fraction": {"task": "t", "schedule": 1.5},
        # solar() needs the ephem package to be built; what matters is its class.
        "sun": {"task": "t", "schedule": object.__new__(schedules.solar)},
        "fine": {"task": "t", "schedule": 60},
    }
    with pytest.raises(celery_beat.BeatConversionError) as caught:
        celery_beat.beat_to_apply(beat, organization="o", broker_url="redis://h/0")
    reasons = {item.entry: item.reason for item in caught.value.refused}
    assert set(reasons) == {"both-days", "odd", "fraction", "sun"}
    assert "needs both to match, cron either one" in reasons["both-days"]
    assert "does not divide" in reasons["odd"]
    assert "solar" in reasons["sun"]


@given(st.integers(min_value=1, max_value=2 * 86400))
def test_an_interval_converts_only_to_a_cron_that_fires_exactly_that_often(seconds: int) -> None:
    try:
        expression = celery_beat.to_cron(timedelta(seconds=seconds))
    except ValueError:
        # Refused exactly when no evenly dividing cron exists.
        divides = (
            (seconds < 60 and 60 % seconds == 0)
            or (seconds % 60 == 0 and seconds < 3600 and 60 % (seconds // 60) == 0)
            or (seconds % 3600 == 0 and seconds < 86400 and 24 % (seconds // 3600) == 0)
            or seconds == 86400
        )
        assert not divides
        return
    parsed = cron.CronExpression.parse(expression)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fires = [parsed.next(start, UTC)]
    for _ in range(5):
        previous = fires[-1]
        assert previous is not None
        fires.append(parsed.next(previous, UTC))
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(fires) if a and b}
    assert gaps == {seconds}
