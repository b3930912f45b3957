"""Compare a declaration with an organization's workflows and schedules: what would change.

Everything is validated here, before anything is written: definitions and schedule specs by the
service's own rules, references between them, duplicate identities (workflow, cron, time zone and
input) in the final state, and the organization's schedule quota.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from cronwright import domain, errors
from cronwright.service import validation, workflows
from cronwright.service.declarative.document import (
    DURATION_FIELDS,
    Document,
    ScheduleEntry,
    format_duration,
)
from cronwright.service.declarative.source import Collector, Source

NEW_WORKFLOW = domain.WorkflowId(0)  # stands for a workflow the plan creates


class CheckTriggers(Protocol):
    def __call__(
        self,
        org_id: domain.OrganizationId | None,
        definition: domain.WorkflowDefinition,
        workflow_id: domain.WorkflowId | None,
    ) -> None:
        """``InvalidInput`` if a trigger step targets a workflow the organization does not have
        (``org_id`` None: the organization does not exist yet) or would close a cycle."""


_PLANNING_HASH_KEY = "apply"  # H fields of new schedules: any key validates the same way


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowCreate:
    name: str
    definition: domain.WorkflowDefinition


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowUpdate:
    current: domain.Workflow
    definition: domain.WorkflowDefinition  # what is written
    shown: domain.WorkflowDefinition  # what was compared with ``current`` (see Planner)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleCreate:
    workflow: str
    spec: domain.ScheduleSpec  # workflow_id is NEW_WORKFLOW when the plan creates the workflow


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleUpdate:
    current: domain.Schedule
    workflow: str
    spec: domain.ScheduleSpec
    changes: tuple[domain.FieldChange, ...]  # without ``paused``, which has its own events
    pause: bool | None  # pause (True) or resume (False) after the edit; None: leave as is


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    organization: str
    org: domain.Organization | None  # None: the plan creates it
    workflow_creates: tuple[WorkflowCreate, ...] = ()
    workflow_updates: tuple[WorkflowUpdate, ...] = ()
    workflow_deletes: tuple[domain.Workflow, ...] = ()
    schedule_creates: tuple[ScheduleCreate, ...] = ()
    schedule_updates: tuple[ScheduleUpdate, ...] = ()
    schedule_deletes: tuple[domain.Schedule, ...] = ()
    workflow_names: dict[domain.WorkflowId, str] = field(default_factory=dict)
    # Schedules made from templates (templated.TemplateUsed), to record after applying.
    templates_used: tuple[object, ...] = ()

    @property
    def size(self) -> int:
        """Writes the plan makes (the progress bar's length)."""
        return (
            (self.org is None)
            + len(self.workflow_creates)
            + len(self.workflow_updates)
            + len(self.workflow_deletes)
            + len(self.schedule_creates)
            + len(self.schedule_updates)
            + len(self.schedule_deletes)
        )

    @property
    def is_empty(self) -> bool:
        return self.size == 0

    def lines(self) -> list[str]:
        """The diff: ``+ schedule "nightly"``, ``~ schedule "hourly": cron "0 * * * *" ->
        "30 * * * *"``, ``- schedule "old"``; workflows before schedules."""
        out = [f"+ organization {_quote(self.organization)}"] if self.org is None else []
        out += [f"+ workflow {_quote(item.name)}" for item in self.workflow_creates]
        out += [
            f"~ workflow {_quote(item.current.name)}: "
            + ", ".join(_step_changes(item.current.definition, item.shown))
            for item in self.workflow_updates
        ]
        out += [f"- workflow {_quote(item.name)}" for item in self.workflow_deletes]
        out += [f"+ schedule {_quote(item.spec.name)}" for item in self.schedule_creates]
        out += [
            f"~ schedule {_quote(item.current.spec.name)}: " + ", ".join(self._changes(item))
            for item in self.schedule_updates
        ]
        out += [f"- schedule {_quote(item.spec.name)}" for item in self.schedule_deletes]
        return out

    def _changes(self, item: ScheduleUpdate) -> Iterator[str]:
        for change in item.changes:
            if change.field == "workflow_id":
                old = self.workflow_names.get(item.current.spec.workflow_id, "?")
                yield f"workflow {_quote(old)} -> {_quote(item.workflow)}"
            else:
                yield f"{change.field} {_show(change)}"
        if item.pause is not None:
            yield f"paused {json.dumps(not item.pause)} -> {json.dumps(item.pause)}"


class Planner:
    def __init__(
        self,
        *,
        organizations: Callable[[], list[domain.Organization]],
        workflows: Callable[[domain.OrganizationId], list[domain.Workflow]],
        schedules: Callable[[domain.OrganizationId], list[domain.Schedule]],
        parse_definition: Callable[[object], domain.WorkflowDefinition],
        check_triggers: CheckTriggers,
        now: Callable[[], datetime],
        retry_defaults: domain.RetryDefaults | None = None,
        shown: Callable[[domain.WorkflowDefinition], domain.WorkflowDefinition] = lambda d: d,
    ) -> None:
        """``retry_defaults``: the retry fields of a schedule whose entry leaves them out (the
        file is the whole truth, so for existing schedules too). ``shown``: a definition as
        ``workflows`` gives them (through the API, with secret values masked), so that the
        file's definitions are compared with the live ones in the same form."""
        self._organizations = organizations
        self._workflows = workflows
        self._schedules = schedules
        self._parse_definition = parse_definition
        self._check_triggers = check_triggers
        self._now = now
        self._retry_defaults = retry_defaults or domain.RetryDefaults()
        self._shown = shown

    def organization(self, name: str) -> domain.Organization | None:
        return next((o for o in self._organizations() if o.name == name), None)

    def schedules(self, org_id: domain.OrganizationId) -> list[domain.Schedule]:
        """The organization's live schedules, as the plan reads them."""
        return self._schedules(org_id)

    def plan(self, document: Document, *, prune: bool) -> Plan:
        source = document.source
        org = self.organization(document.organization)
        workflows = self._workflows(org.id) if org else []
        schedules = self._schedules(org.id) if org else []
        live_workflows = _by_name(workflows, name=lambda w: w.name)
        live_schedules = _by_name(schedules, name=lambda s: s.spec.name)

        problems = Collector()  # every entry is checked; all their errors are reported at once
        problems.found.extend(document.problems)
        workflow_creates, workflow_updates = [], []
        for wf_entry in document.workflows:
            with problems.each():
                found = _single(
                    source, f"{wf_entry.path}.name", "workflow", live_workflows, wf_entry.name
                )
                definition = self._definition(
                    source, wf_entry.path, wf_entry.definition, found.definition if found else None
                )
                with _at(source, wf_entry.path):
                    # Trigger steps name their target by id: it must be a workflow the org has.
                    self._check_triggers(
                        org.id if org else None, definition, found.id if found else None
                    )
                if found is None:
                    workflow_creates.append(
                        WorkflowCreate(name=wf_entry.name, definition=definition)
                    )
                elif found.definition != (shown := self._shown(definition)):
                    workflow_updates.append(
                        WorkflowUpdate(current=found, definition=definition, shown=shown)
                    )
        in_file = {entry.name for entry in document.workflows} | document.named_workflows
        kept = {name for name in live_workflows if name in in_file or not prune}
        workflow_ids = {
            name: found[0].id for name, found in live_workflows.items() if len(found) == 1
        }

        now = self._now()
        schedule_creates, schedule_updates = [], []
        identities: list[tuple[ScheduleEntry, Identity, bool]] = []  # (entry, identity, changes)
        for entry in document.schedules:
            with problems.each():
                workflow_id = self._workflow_for(source, entry, in_file, kept, workflow_ids)
                current = _single(
                    source, f"{entry.path}.name", "schedule", live_schedules, entry.name
                )
                spec = _spec(source, entry, workflow_id, current, now, self._retry_defaults)
                changed = current is None or _identity(spec, entry.workflow) != _identity(
                    current.spec, entry.workflow
                )
                identities.append((entry, _identity(spec, entry.workflow), changed))
                if current is None:
                    schedule_creates.append(ScheduleCreate(workflow=entry.workflow, spec=spec))
                    continue
                edited = spec.replace(paused=current.spec.paused)
                changes = () if edited == current.spec else domain.diff_specs(current.spec, edited)
                pause = None if spec.paused == current.spec.paused else spec.paused
                if changes or pause is not None:
                    schedule_updates.append(
                        ScheduleUpdate(
                            current=current,
                            workflow=entry.workflow,
                            spec=spec,
                            changes=changes,
                            pause=pause,
                        )
                    )

        named = {entry.name for entry in document.schedules}
        schedule_deletes = [s for s in schedules if prune and s.spec.name not in named]
        workflow_deletes = [w for w in workflows if prune and w.name not in in_file]
        untouched = [s for s in schedules if s.spec.name not in named and not prune]
        with problems.each():
            _check_identities(source, identities, untouched)
        problems.raise_any()
        _check_quota(source, org, len(schedule_creates) - len(schedule_deletes))
        return Plan(
            organization=document.organization,
            org=org,
            workflow_creates=tuple(workflow_creates),
            workflow_updates=tuple(workflow_updates),
            workflow_deletes=tuple(workflow_deletes),
            schedule_creates=tuple(schedule_creates),
            schedule_updates=tuple(schedule_updates),
            schedule_deletes=tuple(schedule_deletes),
            workflow_names={w.id: w.name for w in workflows},
        )

    def _definition(
        self,
        source: Source,
        path: str,
        raw: object,
        current: domain.WorkflowDefinition | None,
    ) -> domain.WorkflowDefinition:
        """``***`` where the live workflow holds a secret keeps it, as in an API update."""
        with _at(source, path):
            return self._parse_definition(workflows.keep_stored_secrets(raw, current))

    @staticmethod
    def _workflow_for(
        source: Source,
        entry: ScheduleEntry,
        in_file: set[str],
        kept: set[str],
        workflow_ids: dict[str, domain.WorkflowId],
    ) -> domain.WorkflowId:
        where = f"{entry.path}.workflow"
        if entry.workflow not in in_file and entry.workflow not in kept:
            pruned = (
                " (--prune deletes the workflows the file does not name)"
                if entry.workflow in workflow_ids
                else ""
            )
            hint = validation.did_you_mean(entry.workflow, sorted(in_file | kept))
            raise source.error(
                where,
                f"no workflow named {entry.workflow!r} in the file or the organization"
                f"{pruned}{hint}",
            )
        if entry.workflow in workflow_ids:
            return workflow_ids[entry.workflow]
        if entry.workflow not in in_file:
            raise source.error(
                where, f"the organization has several workflows named {entry.workflow!r}"
            )
        return NEW_WORKFLOW


@contextmanager
def _at(source: Source, path: str) -> Iterator[None]:
    """The service's errors about a definition (``definition.steps[2].kind``), pointed into the
    file (``workflows[0].steps[2].kind``, line 12)."""
    try:
        yield
    except errors.InvalidInput as exc:
        raise source.error(exc.field.replace("definition", path, 1), exc.message) from None


def _spec(
    source: Source,
    entry: ScheduleEntry,
    workflow_id: domain.WorkflowId,
    current: domain.Schedule | None,
    now: datetime,
    retry_defaults: domain.RetryDefaults,
) -> domain.ScheduleSpec:
    paused = entry.paused
    if paused is None:
        paused = current.spec.paused if current is not None else False
    spec = validation.normalize(
        retry_defaults.spec(workflow_id=workflow_id, name=entry.name, paused=paused, **entry.fields)
    )
    hash_key = current.hash_key if current is not None else _PLANNING_HASH_KEY
    try:
        validation.validate(spec, hash_key=hash_key, now=now)
    except errors.InvalidInput as exc:
        name = "workflow" if exc.field == "workflow_id" else exc.field
        raise source.error(f"{entry.path}.{name}", exc.message) from None
    return spec


Identity = tuple[object, str, str, str]


def _identity(spec: domain.ScheduleSpec, workflow: str) -> Identity:
    key: object = spec.workflow_id if spec.workflow_id != NEW_WORKFLOW else ("new", workflow)
    return (key, spec.cron, spec.timezone, domain.json_digest(spec.input))


def _check_identities(
    source: Source,
    identities: list[tuple[ScheduleEntry, Identity, bool]],
    untouched: list[domain.Schedule],
) -> None:
    """One live schedule per (workflow, cron, time zone, input): the store refuses a second, so
    refuse it here, before anything is written. Identities that stay put are taken first."""
    taken: dict[Identity, str] = {
        _identity(s.spec, ""): f"schedule {s.spec.name!r} (id {s.id}), which the file does not name"
        for s in untouched
    }
    taken |= {identity: entry.path for entry, identity, changed in identities if not changed}
    for entry, identity, changed in identities:
        if not changed:
            continue
        if identity in taken:
            raise source.error(
                entry.path, f"same workflow, cron, time zone and input as {taken[identity]}"
            )
        taken[identity] = entry.path


def _check_quota(source: Source, org: domain.Organization | None, added: int) -> None:
    count = org.schedule_count if org else 0
    limit = org.max_schedules if org else domain.organization.DEFAULT_MAX_SCHEDULES
    if added > 0 and count + added > limit:
        raise source.error(
            "schedules",
            f"the organization would have {count + added} schedules; its quota is {limit}",
        )


T = TypeVar("T")
Named = TypeVar("Named", domain.Workflow, domain.Schedule)


def _by_name(items: Iterable[T], name: Callable[[T], str]) -> dict[str, list[T]]:
    found: dict[str, list[T]] = defaultdict(list)
    for item in items:
        found[name(item)].append(item)
    return found


def _single(
    source: Source, where: str, noun: str, live: dict[str, list[Named]], name: str
) -> Named | None:
    found = live.get(name, [])
    if len(found) > 1:
        ids = ", ".join(str(item.id) for item in found)
        raise source.error(
            where,
            f"the organization has {len(found)} {noun}s named {name!r} (ids {ids}); names "
            f"identify {noun}s here, so rename or delete all but one first",
        )
    return found[0] if found else None


def _quote(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _show(change: domain.FieldChange) -> str:
    if change.field in DURATION_FIELDS:
        assert isinstance(change.old, int)
        assert isinstance(change.new, int)
        old = format_duration(timedelta(microseconds=change.old))
        new = format_duration(timedelta(microseconds=change.new))
        return f"{old} -> {new}"
    return f"{_json(change.old)} -> {_json(change.new)}"


def _json(value: domain.JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _step_changes(old: domain.WorkflowDefinition, new: domain.WorkflowDefinition) -> list[str]:
    before = {step.name: step for step in old.steps}
    after = {step.name: step for step in new.steps}
    out = [f"+ step {_quote(name)}" for name in after if name not in before]
    out += [f"- step {_quote(name)}" for name in before if name not in after]
    out += [
        f"step {_quote(name)} changed"
        for name in after
        if name in before and before[name] != after[name]
    ]
    return out or ["steps reordered"]
