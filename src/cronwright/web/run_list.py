"""The runs table: filters read from the query string, and rows that name what each run is of.

Filters live in the URL so a filtered list can be bookmarked and shared. Paging goes back (older)
with the service's cursor and forward (newer) with the cursors already walked, carried in the URL
as ``back`` (a stack), so both directions stay stateless on the server.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from cronwright import domain, errors, service

# Runs made by another run say which in their reason (see service.triggers and actions.trigger).
_PARENT = re.compile(r"(?:retry of run|of run) (\d+)")
CANCELLABLE = frozenset({domain.RunState.PENDING, domain.RunState.RUNNING})
RETRYABLE = frozenset(
    {domain.RunState.FAILED, domain.RunState.TIMED_OUT, domain.RunState.CANCELLED}
)
MAX_BACK = 50  # cursors kept for "newer": deeper than this, newer restarts at the newest


@dataclass(frozen=True, slots=True, kw_only=True)
class RunQuery:
    """The list's filters as the user typed them (to refill the form and build links)."""

    schedule: str = ""
    workflow: str = ""
    state: str = ""
    trigger: str = ""
    since: str = ""
    until: str = ""

    def params(self) -> dict[str, str]:
        """The filters that are set, for links that keep them."""
        values = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return {name: value for name, value in values if value}

    def to_filter(self) -> domain.RunFilter:
        """``InvalidInput`` naming the field for a value that is not one."""
        return domain.RunFilter(
            schedule_id=_maybe(domain.ScheduleId, parse_id(self.schedule, "schedule")),
            workflow_id=_maybe(domain.WorkflowId, parse_id(self.workflow, "workflow")),
            states=_members(self.state, "state", domain.RunState),
            triggers=_members(self.trigger, "trigger", domain.Trigger),
            since=_time(self.since, "since"),
            until=_time(self.until, "until"),
        )


def parse_id(raw: str, field: str) -> int | None:
    """An id typed in a form, or None for an empty field."""
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise errors.InvalidInput(field=field, message=f"{raw!r} is not an id")
    return int(raw)


E = TypeVar("E", domain.RunState, domain.Trigger)
Id = TypeVar("Id")


def _members(raw: str, field: str, kind: type[E]) -> frozenset[E] | None:
    if not raw:
        return None
    try:
        return frozenset({kind(raw)})
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise errors.InvalidInput(field=field, message=f"{raw!r} is not one of {allowed}") from None


def _maybe(kind: Callable[[int], Id], value: int | None) -> Id | None:
    return None if value is None else kind(value)


def _time(raw: str, field: str) -> datetime | None:
    """A ``datetime-local`` value (``2026-03-02T09:30``), read as UTC; or one with an offset."""
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.InvalidInput(
            field=field, message=f"{raw!r} is not a time like 2026-03-02T09:30"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRow:
    run: domain.Run
    schedule: domain.Schedule | None  # the schedule whose slot this is
    workflow_name: str
    parent_id: int | None  # the run a retry or chained run came from
    duration: timedelta | None
    can_retry: bool
    can_cancel: bool


def parent_of(run: domain.Run) -> int | None:
    if run.trigger not in (domain.Trigger.RETRY, domain.Trigger.CHAIN) or not run.reason:
        return None
    found = _PARENT.search(run.reason)
    return int(found.group(1)) if found else None


def find_parent(svc: service.Service, org_id: domain.OrganizationId, run: domain.Run) -> int | None:
    """The run a retry came from, also once the engine's own retries rewrote its reason: the
    newest earlier run of the same workflow, slot and schedule version that did not succeed."""
    named = parent_of(run)
    if named is not None or run.trigger is not domain.Trigger.RETRY:
        return named
    slot = domain.RunFilter(
        workflow_id=run.workflow_id,
        states=RETRYABLE,
        since=run.scheduled_for,
        until=run.scheduled_for + timedelta(microseconds=1),
    )
    page = svc.runs.list(org_id, slot, cursor=None, limit=domain.MAX_PAGE_SIZE)
    for candidate in page.items:
        if candidate.id < run.id and candidate.schedule_version_id == run.schedule_version_id:
            return candidate.id
    return None


def run_duration(run: domain.Run) -> timedelta | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return run.finished_at - run.started_at


class Names:
    """Schedules and workflows of one organization, each read once per page."""

    def __init__(self, svc: service.Service, org_id: domain.OrganizationId) -> None:
        self._svc = svc
        self._org_id = org_id
        self._schedules: dict[domain.ScheduleId, domain.Schedule | None] = {}
        self._workflows: dict[domain.WorkflowId, str] = {}

    def schedule(self, schedule_id: domain.ScheduleId | None) -> domain.Schedule | None:
        if schedule_id is None:
            return None
        if schedule_id not in self._schedules:
            try:
                self._schedules[schedule_id] = self._svc.schedules.get(self._org_id, schedule_id)
            except errors.NotFound:  # deleted since it ran
                self._schedules[schedule_id] = None
        return self._schedules[schedule_id]

    def prefetch(self, runs: Sequence[domain.Run]) -> None:
        """Read the schedules of ``runs`` in one go (a page's worth, not one read per row)."""
        wanted = {r.schedule_id for r in runs if r.schedule_id is not None} - set(self._schedules)
        if wanted:
            found = self._svc.schedules.get_many(self._org_id, wanted)
            self._schedules.update({sid: found.get(sid) for sid in wanted})

    def workflow(self, workflow_id: domain.WorkflowId) -> str:
        if workflow_id not in self._workflows:
            try:
                name = self._svc.workflows.get(self._org_id, workflow_id).name
            except errors.NotFound:
                name = f"workflow #{workflow_id} (deleted)"
            self._workflows[workflow_id] = name
        return self._workflows[workflow_id]


def rows(names: Names, runs: Sequence[domain.Run]) -> list[RunRow]:
    names.prefetch(runs)
    return [
        RunRow(
            run=run,
            schedule=names.schedule(run.schedule_id),
            workflow_name=names.workflow(run.workflow_id),
            parent_id=parent_of(run),
            duration=run_duration(run),
            can_retry=run.state in RETRYABLE,
            can_cancel=run.state in CANCELLABLE,
        )
        for run in runs
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Paging:
    older: str | None  # query string of the next older page
    newer: str | None  # query string of the next newer page
    newest: str | None  # query string of the first page, when not on it


def paging(query: RunQuery, cursor: str | None, back: list[str], next_cursor: str | None) -> Paging:
    base = query.params()
    older = None
    if next_cursor is not None:
        stack = [*back, cursor or ""][-MAX_BACK:]
        older = urlencode({**base, "cursor": next_cursor, "back": ",".join(stack)})
    newer = newest = None
    if cursor:
        newest = urlencode(base)
        previous, rest = (back[-1], back[:-1]) if back else ("", [])
        newer_params = dict(base)
        if previous:
            newer_params.update(cursor=previous, back=",".join(rest))
        newer = urlencode(newer_params)
    return Paging(older=older, newer=newer, newest=newest)
