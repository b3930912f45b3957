"""Run history for one organization, and the retention that prunes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cronwright import clock, domain, errors
from cronwright.service import paging
from cronwright.store import contracts


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    """Keep finished runs at most ``max_age`` (by finish time) and at most the newest
    ``keep_per_schedule`` of each schedule; None switches a rule off."""

    max_age: timedelta | None = timedelta(days=30)
    keep_per_schedule: int | None = 1000


class Runs:
    def __init__(self, store: contracts.Catalog, clock: clock.Clock) -> None:
        self._store = store
        self._clock = clock

    def get(self, org_id: domain.OrganizationId, run_id: domain.RunId) -> domain.Run:
        return self._store.get_run(org_id, run_id)

    def steps(self, org_id: domain.OrganizationId, run_id: domain.RunId) -> list[domain.RunStep]:
        return self._store.list_run_steps(org_id, run_id)

    def list(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = domain.DEFAULT_PAGE_SIZE,
    ) -> domain.Page[domain.Run]:
        """Newest first. Filtering on a schedule of another organization finds nothing."""
        where = where or domain.RunFilter()
        paging.check_limit(limit)
        if where.since is not None and where.until is not None and where.until <= where.since:
            raise errors.InvalidInput(field="until", message="must be after since")
        found = self._store.list_runs(
            org_id, where, before_id=paging.decode_cursor(cursor), limit=limit + 1
        )
        return paging.page_of(found, limit, lambda run: run.id)

    def count(
        self,
        org_id: domain.OrganizationId,
        where: domain.RunFilter | None = None,
        *,
        available_by: datetime | None = None,
    ) -> dict[domain.RunState, int]:
        """How many runs match, by state, every state present (zero for none)."""
        found = self._store.count_runs(
            org_id, where or domain.RunFilter(), available_by=available_by
        )
        return {state: found.get(state, 0) for state in domain.RunState}

    def count_by_hour(
        self, org_id: domain.OrganizationId, *, since: datetime, until: datetime
    ) -> dict[tuple[datetime, domain.RunState], int]:
        """Runs with a slot in ``[since, until)`` by (UTC hour, state), counted in one pass."""
        if until <= since:
            raise errors.InvalidInput(field="until", message="must be after since")
        return self._store.count_runs_by_hour(org_id, since=since, until=until)

    def list_for_schedule(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        where: domain.RunFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = domain.DEFAULT_PAGE_SIZE,
    ) -> domain.Page[domain.Run]:
        """Like :meth:`list`, for one schedule; ``ScheduleNotFound`` if it is not the org's."""
        self._store.get_schedule(org_id, schedule_id)
        where = where or domain.RunFilter()
        scoped = domain.RunFilter(
            schedule_id=schedule_id,
            workflow_id=where.workflow_id,
            states=where.states,
            triggers=where.triggers,
            since=where.since,
            until=where.until,
        )
        return self.list(org_id, scoped, cursor=cursor, limit=limit)

    def prune(self, retention: Retention) -> int:
        """Apply ``retention`` to every organization's finished runs; returns how many went."""
        if retention.keep_per_schedule is not None and retention.keep_per_schedule < 0:
            raise errors.InvalidInput(field="keep_per_schedule", message="must not be negative")
        cutoff = None if retention.max_age is None else self._clock.now() - retention.max_age
        return self._store.prune_runs(
            finished_before=cutoff, keep_per_schedule=retention.keep_per_schedule
        )
