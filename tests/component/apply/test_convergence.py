"""What docs/apply.md promises when an apply is cut short: each change is whole, and running the
same file again converges on the state a clean apply makes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cronwright import domain, service
from cronwright.clock import FakeClock
from cronwright.service import declarative
from cronwright.store.catalog import sql_catalog
from tests.component.apply.test_apply import FILE
from tests.component.store.populate import T0
from tests.conftest import fresh_database_url


class CrashError(Exception):
    """Stands for the process dying between two of apply's transactions."""


@pytest.fixture
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[list[sql_catalog.SqlCatalog]]:
    opened = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        opened.append(
            sql_catalog.SqlCatalog.from_url(fresh_database_url(request, "sqlite", tmp_path / name))
        )
    yield opened
    for store in opened:
        store.close()


def applier(store: sql_catalog.SqlCatalog) -> tuple[declarative.Declarative, service.Service]:
    clock = FakeClock(T0)
    svc = service.Service.build(store, clock)
    return declarative.Declarative(svc, store, clock), svc


def specs(store: sql_catalog.SqlCatalog) -> dict[str, object]:
    """Each live schedule's spec by name, its workflow by name instead of id."""
    svc = service.Service.build(store, FakeClock(T0))
    [org] = store.list_organizations()
    workflows = {w.id: w for w in svc.workflows.list(org.id, limit=500).items}
    return {
        s.spec.name: (
            workflows[s.spec.workflow_id].name,
            workflows[s.spec.workflow_id].definition,
            s.spec.replace(workflow_id=domain.WorkflowId(0)),
        )
        for s in svc.schedules.list(org.id, limit=500).items
    }


def crash_after(writes: int) -> Callable[[int], None]:
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        if done[0] >= writes:
            raise CrashError

    return advance


@pytest.mark.parametrize("writes", [1, 2, 3])
def test_an_apply_cut_short_converges_when_run_again(
    stores: list[sql_catalog.SqlCatalog], writes: int
) -> None:
    clean, cut = stores
    document = declarative.load(FILE, file="acme.yaml")
    first, _ = applier(clean)
    first.apply(first.plan(document), author="apply:acme.yaml")

    second, _ = applier(cut)
    with pytest.raises(CrashError):
        second.apply(second.plan(document), author="apply:acme.yaml", advance=crash_after(writes))
    assert not second.plan(document).is_empty  # some of it is missing...

    second.apply(second.plan(document), author="apply:acme.yaml")  # ...until it runs again
    assert second.plan(document).is_empty
    assert specs(cut) == specs(clean)


def test_a_schedule_edited_between_plan_and_write_stops_the_apply(
    stores: list[sql_catalog.SqlCatalog],
) -> None:
    store = stores[0]
    document = declarative.load(FILE, file="acme.yaml")
    apply, svc = applier(store)
    apply.apply(apply.plan(document), author="apply:acme.yaml")
    edited = declarative.load(FILE.replace('cron: "0 * * * *"', 'cron: "5 * * * *"'), file="f")
    plan = apply.plan(edited)
    [org] = store.list_organizations()
    [hourly] = [s for s in svc.schedules.list(org.id).items if s.spec.name == "hourly"]
    svc.schedules.update(org.id, hourly.id, {"max_attempts": 9}, author="someone")

    with pytest.raises(declarative.ChangedMeanwhile, match="schedule 'hourly' changed"):
        apply.apply(plan, author="apply:f")
    assert svc.schedules.get(org.id, hourly.id).spec.max_attempts == 9  # their edit stands

    apply.apply(apply.plan(edited), author="apply:f")
    after = svc.schedules.get(org.id, hourly.id).spec
    assert (after.cron, after.max_attempts) == ("5 * * * *", 3)  # the file is the truth again
