"""Use cases, each scoped to one organization: every read and write names the ``org_id`` it
acts for, and another organization's row is "not found", never "forbidden"."""

from __future__ import annotations

from dataclasses import dataclass

from cronwright import clock, domain
from cronwright.actions.shell import ShellGate
from cronwright.service.organizations import Organizations
from cronwright.service.preview import Preview, PreviewFire
from cronwright.service.runs import Retention, Runs
from cronwright.service.schedules import Schedules
from cronwright.service.workflows import Workflows
from cronwright.store import contracts


@dataclass(frozen=True, slots=True)
class Service:
    organizations: Organizations
    workflows: Workflows
    schedules: Schedules
    runs: Runs

    @classmethod
    def build(
        cls,
        store: contracts.Catalog,
        clock: clock.Clock,
        *,
        check_config: domain.ConfigCheck | None = None,
        retry_defaults: domain.RetryDefaults | None = None,
        shell_gate: ShellGate | None = None,
    ) -> Service:
        """``retry_defaults``: what new schedules get for the retry fields they do not set (the
        operator's settings; None: the built-in 3 attempts, 5 s doubling up to 10 min)."""
        return cls(
            organizations=Organizations(store, clock),
            workflows=Workflows(store, clock, check_config=check_config, shell_gate=shell_gate),
            schedules=Schedules(store, clock, retry_defaults=retry_defaults),
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
