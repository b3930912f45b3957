"""Schedule use cases for one organization: create, edit, pause, version, roll back, preview.

Every change writes a new version (a full snapshot) and an audit event in the same transaction.
Any change recomputes ``next_fire_at`` strictly after *now*, so an edit never makes a slot that
already passed fire (catching up on missed slots is the scheduler's business, not an edit's).
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

from cronwright import clock, domain, errors
from cronwright.planning.slots import Cadence
from cronwright.service import paging, validation, workflows
from cronwright.service.preview import Preview, preview
from cronwright.store import contracts

_EDIT_RETRIES = 3


def new_hash_key() -> str:
    return secrets.token_hex(8)


class Schedules:
    def __init__(
        self,
        store: contracts.Catalog,
        clock: clock.Clock,
        *,
        retry_defaults: domain.RetryDefaults | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.retry_defaults = retry_defaults or domain.RetryDefaults()

    def new_spec(self, **fields: Any) -> domain.ScheduleSpec:
        """A spec for :meth:`create`: the retry fields not given (or None) are the operator's
        defaults. Only creation reads them; edits change what they are given."""
        return self.retry_defaults.spec(**fields)

    # -- reads ------------------------------------------------------------------------------------

    def get(self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId) -> domain.Schedule:
        return self._store.get_schedule(org_id, schedule_id)

    def get_many(
        self, org_id: domain.OrganizationId, schedule_ids: Collection[domain.ScheduleId]
    ) -> dict[domain.ScheduleId, domain.Schedule]:
        """The organization's live schedules among ``schedule_ids``, by id, in one read."""
        if len(schedule_ids) > domain.MAX_PAGE_SIZE:
            raise errors.InvalidInput(
                field="schedule_ids", message=f"at most {domain.MAX_PAGE_SIZE} at once"
            )
        return {s.id: s for s in self._store.get_schedules(org_id, schedule_ids)}

    def list(
        self,
        org_id: domain.OrganizationId,
        where: domain.ScheduleFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = domain.DEFAULT_PAGE_SIZE,
    ) -> domain.Page[domain.Schedule]:
        paging.check_limit(limit)
        found = self._store.list_schedules(
            org_id,
            where or domain.ScheduleFilter(),
            after_id=paging.decode_cursor(cursor),
            limit=limit + 1,
        )
        return paging.page_of(found, limit, lambda schedule: schedule.id)

    def upcoming(
        self, org_id: domain.OrganizationId, *, limit: int = 10
    ) -> builtins.list[domain.Schedule]:
        """The schedules that fire next, soonest first."""
        paging.check_limit(limit)
        return self._store.next_schedules(org_id, limit=limit)

    def versions(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> builtins.list[domain.ScheduleVersion]:
        return self._store.list_schedule_versions(org_id, schedule_id)

    def version(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId, version: int
    ) -> domain.ScheduleVersion:
        return self._store.get_schedule_version(org_id, schedule_id, version)

    def diff(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        from_version: int,
        to_version: int,
    ) -> tuple[domain.FieldChange, ...]:
        old = self._store.get_schedule_version(org_id, schedule_id, from_version)
        new = self._store.get_schedule_version(org_id, schedule_id, to_version)
        return domain.diff_specs(old.spec, new.spec)

    def events(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId
    ) -> builtins.list[domain.ScheduleEvent]:
        return self._store.list_schedule_events(org_id, schedule_id)

    def preview(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId, *, count: int = 10
    ) -> Preview:
        """The next ``count`` fire times from now within the schedule's start/end window (also
        while paused: what it would do once resumed)."""
        schedule = self._store.get_schedule(org_id, schedule_id)
        now = self._clock.now()
        cadence = validation.validate(schedule.spec, hash_key=schedule.hash_key, now=now)
        return preview(cadence, after=now, count=count)

    def preview_expression(
        self,
        cron: str,
        *,
        timezone: str = domain.schedule.DEFAULT_TIMEZONE,
        count: int = 10,
        dst_gap: domain.DstGapPolicy = domain.DstGapPolicy.AUTO,
        dst_fold: domain.DstFoldPolicy = domain.DstFoldPolicy.AUTO,
        hash_key: str | None = None,
    ) -> Preview:
        """Preview an expression that is not saved yet (``H`` fields need the ``hash_key`` of
        the schedule they will belong to to show its real times)."""
        check = domain.ScheduleSpec(
            workflow_id=domain.WorkflowId(0),
            name="preview",
            cron=" ".join(cron.split()),
            timezone=timezone,
            dst_gap=dst_gap,
            dst_fold=dst_fold,
        )
        now = self._clock.now()
        cadence = validation.validate(check, hash_key=hash_key or "preview", now=now)
        return preview(cadence, after=now, count=count)

    # -- writes -----------------------------------------------------------------------------------

    def create(
        self, org_id: domain.OrganizationId, spec: domain.ScheduleSpec, *, author: str
    ) -> domain.Schedule:
        """Validate, then store version 1. ``spec`` is stored as it is: build it with
        :meth:`new_spec` to give it the operator's retry defaults. ``InvalidInput`` for a bad spec
        (including a workflow that is not the organization's), ``ScheduleConflict`` for a
        duplicate (the same name, or the same workflow, expression, zone and input: both are
        named when both hold), ``QuotaExceeded`` when the organization is full."""
        spec = validation.normalize(spec)
        hash_key = new_hash_key()
        now = self._clock.now()
        cadence = self._validate(org_id, spec, hash_key=hash_key, now=now)
        with _workflow_as_field():
            return self._store.add_schedule(
                org_id=org_id,
                spec=spec,
                hash_key=hash_key,
                next_fire_at=_next_fire(spec, cadence, now),
                author=author,
                now=now,
            )

    def create_many(
        self,
        org_id: domain.OrganizationId,
        specs: Sequence[domain.ScheduleSpec],
        *,
        author: str,
    ) -> builtins.list[domain.Schedule]:
        """Create all of ``specs`` in one transaction, or none: an import. Errors are those of
        :meth:`create`, with fields prefixed by the position, e.g. ``schedules[3].cron``."""
        now = self._clock.now()
        news: builtins.list[domain.NewSchedule] = []
        seen: dict[tuple[object, ...], int] = {}
        named: dict[str, int] = {}
        for index, raw in enumerate(specs):
            spec = validation.normalize(raw)
            hash_key = new_hash_key()
            try:
                cadence = validation.validate(spec, hash_key=hash_key, now=now)
            except errors.InvalidInput as exc:
                field = f"schedules[{index}].{exc.field}"
                raise errors.InvalidInput(field=field, message=exc.message) from exc
            identity = (spec.workflow_id, spec.cron, spec.timezone, domain.json_digest(spec.input))
            if identity in seen:
                raise errors.InvalidInput(
                    field=f"schedules[{index}]",
                    message=f"same workflow, expression, time zone and input as "
                    f"schedules[{seen[identity]}]",
                )
            seen[identity] = index
            if spec.name in named:
                raise errors.InvalidInput(
                    field=f"schedules[{index}].name",
                    message=f"the same name as schedules[{named[spec.name]}]",
                )
            named[spec.name] = index
            news.append(
                domain.NewSchedule(
                    spec=spec, hash_key=hash_key, next_fire_at=_next_fire(spec, cadence, now)
                )
            )
        with _workflow_as_field():
            return self._store.add_schedules(org_id=org_id, schedules=news, author=author, now=now)

    def put(
        self,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        *,
        author: str,
        expected_version: int | None = None,
        create_only: bool = False,
    ) -> tuple[domain.Schedule, bool]:
        """Create the schedule named ``spec.name``, or make the existing one ``spec`` (every
        field, as :meth:`update` would: a new version only if something changed); True when it
        was created. Build ``spec`` with :meth:`new_spec`. ``ScheduleConflict`` if another
        schedule has the same workflow, expression, zone and input.

        Conditions, checked first (``PreconditionFailed``, nothing written):
        ``expected_version``: the schedule exists at that version; ``create_only``: it does
        not exist yet."""
        spec = validation.normalize(spec)
        current = self._store.find_schedule_by_name(org_id, spec.name)
        workflows.check_put(current, "schedule", spec.name, expected_version, create_only)
        if current is None:
            try:
                return self.create(org_id, spec, author=author), True
            except errors.ScheduleConflict as conflict:
                if conflict.same_name is None:
                    raise
                if create_only:
                    raise workflows.name_exists("schedule", spec.name, conflict.same_name) from None
                current = self._store.get_schedule(org_id, domain.ScheduleId(conflict.same_name))
        changes = {name: getattr(spec, name) for name in domain.SPEC_FIELDS}
        updated = self.update(
            org_id,
            current.id,
            changes,
            author=author,
            expected_version=expected_version,
        )
        return updated, False

    def update(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        changes: Mapping[str, Any],
        *,
        author: str,
        expected_version: int | None = None,
    ) -> domain.Schedule:
        """Apply ``changes`` (spec field -> new value). A change that changes nothing writes
        nothing. With ``expected_version``, ``StaleVersion`` if the schedule moved on; without
        it, a concurrent edit is re-read and the changes re-applied on top of it."""
        unknown = sorted(set(changes) - set(domain.SPEC_FIELDS))
        if unknown:
            raise errors.InvalidInput(field=unknown[0], message="is not a schedule field")
        coerced = coerce_policies(changes)
        return self._edit(
            org_id,
            schedule_id,
            lambda spec: spec.replace(**coerced),
            event=domain.ScheduleEventKind.EDITED,
            author=author,
            expected_version=expected_version,
        )

    def pause(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        author: str,
        expected_version: int | None = None,
    ) -> domain.Schedule:
        """Stop firing (``next_fire_at`` becomes None). Pausing a paused schedule does nothing."""
        return self._edit(
            org_id,
            schedule_id,
            lambda spec: spec.replace(paused=True),
            event=domain.ScheduleEventKind.PAUSED,
            author=author,
            expected_version=expected_version,
        )

    def resume(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        *,
        author: str,
        expected_version: int | None = None,
    ) -> domain.Schedule:
        """Fire again from the next slot after now."""
        return self._edit(
            org_id,
            schedule_id,
            lambda spec: spec.replace(paused=False),
            event=domain.ScheduleEventKind.RESUMED,
            author=author,
            expected_version=expected_version,
        )

    def rollback(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        version: int,
        *,
        author: str,
        expected_version: int | None = None,
    ) -> domain.Schedule:
        """Write a new version whose spec equals ``version``'s (validated again: a version whose
        end has passed, or whose workflow is gone, cannot come back)."""
        target = self._store.get_schedule_version(org_id, schedule_id, version)
        return self._edit(
            org_id,
            schedule_id,
            lambda _spec: target.spec,
            event=domain.ScheduleEventKind.ROLLED_BACK,
            author=author,
            expected_version=expected_version,
            detail={"to_version": version},
            always=True,
        )

    def delete(
        self, org_id: domain.OrganizationId, schedule_id: domain.ScheduleId, *, author: str
    ) -> None:
        self._store.delete_schedule(org_id, schedule_id, author=author, now=self._clock.now())

    # -- helpers ----------------------------------------------------------------------------------

    def _edit(
        self,
        org_id: domain.OrganizationId,
        schedule_id: domain.ScheduleId,
        change: Callable[[domain.ScheduleSpec], domain.ScheduleSpec],
        *,
        event: domain.ScheduleEventKind,
        author: str,
        expected_version: int | None,
        detail: domain.JsonObject | None = None,
        always: bool = False,
    ) -> domain.Schedule:
        for attempt in range(_EDIT_RETRIES):
            current = self._store.get_schedule(org_id, schedule_id)
            if expected_version is not None and current.version != expected_version:
                raise errors.StaleVersion(
                    schedule_id, expected=expected_version, actual=current.version
                )
            spec = validation.normalize(change(current.spec))
            if spec == current.spec and not always:
                return current
            now = self._clock.now()
            cadence = self._validate(org_id, spec, hash_key=current.hash_key, now=now)
            try:
                with _workflow_as_field():
                    return self._store.update_schedule(
                        org_id,
                        schedule_id,
                        spec=spec,
                        next_fire_at=_next_fire(spec, cadence, now),
                        event=event,
                        author=author,
                        now=now,
                        expected_version=current.version,
                        detail=detail,
                    )
            except errors.StaleVersion:
                if expected_version is not None or attempt == _EDIT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _validate(
        self,
        org_id: domain.OrganizationId,
        spec: domain.ScheduleSpec,
        *,
        hash_key: str,
        now: datetime,
    ) -> Cadence:
        cadence = validation.validate(spec, hash_key=hash_key, now=now)
        with _workflow_as_field():
            self._store.get_workflow(org_id, spec.workflow_id)
        return cadence


def _next_fire(spec: domain.ScheduleSpec, cadence: Cadence, now: datetime) -> datetime | None:
    return None if spec.paused else cadence.next_fire_at(after=now)


@contextmanager
def _workflow_as_field() -> Iterator[None]:
    """Report a workflow missing from the organization as bad input on ``workflow_id``: for a
    schedule it is a field that points nowhere, not a missing schedule."""
    try:
        yield
    except errors.WorkflowNotFound as exc:
        raise errors.InvalidInput(
            field="workflow_id", message=f"no workflow with id {exc.id} in this organization"
        ) from exc


_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "dst_gap": domain.DstGapPolicy,
    "dst_fold": domain.DstFoldPolicy,
    "catchup": domain.CatchupPolicy,
    "overlap": domain.OverlapPolicy,
}


def coerce_policies(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Policy values may arrive as their string spelling; anything else is refused by name."""
    coerced = dict(changes)
    for name, enum in _ENUM_FIELDS.items():
        if name in coerced:
            try:
                coerced[name] = enum(coerced[name])
            except ValueError:
                allowed = ", ".join(member.value for member in enum)
                raise errors.InvalidInput(
                    field=name, message=f"{coerced[name]!r} is not one of {allowed}"
                ) from None
    return coerced
