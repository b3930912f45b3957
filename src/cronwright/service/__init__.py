"""Use cases, each scoped to one organization: every read and write names the ``org_id`` it
acts for, and another organization's row is "not found", never "forbidden"."""

from __future__ import annotations

from dataclasses import dataclass

from cronwright import clock, domain
from cronwright.service.organizations import Organizations
from cronwright.service.preview import Preview, PreviewFire
from cronwright.service.runs import Retention, Runs
from cronwright.service.schedules import Schedules
from cronwright.service.workflows import Workflows
from cronwright.store import base as store_base


@dataclass(frozen=True, slots=True)
class Service:
    organizations: Organizations
    workflows: Workflows
    schedules: Schedules
    runs: Runs

    @classmethod
    def build(
        cls,
        store: store_base.Store,
        clock: clock.Clock,
        *,
        check_config: domain.ConfigCheck | None = None,
    ) -> Service:
        return cls(
            organizations=Organizations(store, clock),
            workflows=Workflows(store, clock, check_config=check_config),
            schedules=Schedules(store, clock),
            runs=Runs(store, clock),
        )


__all__ = [
    "Organizations",
    "Preview",
    "PreviewFire",
    "Retention",
    "Runs",
    "Schedules",
    "Service",
    "Workflows",
]
