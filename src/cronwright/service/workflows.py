"""Workflows CRUD, scoped to one organization; definitions are validated on every save.

Secret values in step configs (see :mod:`cronwright.actions.secret_values`) are write-only: an
update that still says ``***`` where a secret was keeps the stored secret.

Names are unique in an organization (``NameTaken`` with the existing id); :meth:`Workflows.put`
creates or updates by name, so a script that sets up its workflows can run any number of times.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from typing import Protocol

from cronwright import clock, domain, errors
from cronwright.actions import secret_values, shell
from cronwright.service import paging, workflow_graph
from cronwright.service.organizations import check_name
from cronwright.store import contracts


class Workflows:
    def __init__(
        self,
        store: contracts.Catalog,
        clock: clock.Clock,
        *,
        kinds: Collection[str] = domain.ACTION_KINDS,
        check_config: domain.ConfigCheck | None = None,
        shell_gate: shell.ShellGate | None = None,
    ) -> None:
        """``kinds`` and ``check_config`` come from the actions registry when there is one;
        ``shell_gate``: the organizations that may save shell steps (None: any)."""
        self._store = store
        self._clock = clock
        self._kinds = kinds
        self._check_config = check_config
        self._shell_gate = (
            None
            if shell_gate is None
            else shell_gate.with_names(lambda org_id: store.get_organization(org_id).name)
        )

    def parse(self, definition: object) -> domain.WorkflowDefinition:
        return parse(definition, kinds=self._kinds, check_config=self._check_config)

    def create(
        self,
        org_id: domain.OrganizationId,
        *,
        name: str,
        definition: object,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        parsed = self.parse(keep_stored_secrets(definition, None))
        self._check_kinds(org_id, parsed)
        workflow_graph.check_triggers(self._store, org_id, parsed, workflow_id=None)
        return self._store.add_workflow(
            org_id=org_id,
            name=check_name(name),
            definition=parsed,
            now=self._clock.now(),
            author=author,
        )

    def get(self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId) -> domain.Workflow:
        return self._store.get_workflow(org_id, workflow_id)

    def list(
        self,
        org_id: domain.OrganizationId,
        *,
        cursor: str | None = None,
        limit: int = domain.DEFAULT_PAGE_SIZE,
    ) -> domain.Page[domain.Workflow]:
        paging.check_limit(limit)
        found = self._store.list_workflows(
            org_id, after_id=paging.decode_cursor(cursor), limit=limit + 1
        )
        return paging.page_of(found, limit, lambda workflow: workflow.id)

    def update(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        name: str | None = None,
        definition: object | None = None,
        expected_version: int | None = None,
        author: str = domain.UNKNOWN_AUTHOR,
    ) -> domain.Workflow:
        current = self._store.get_workflow(org_id, workflow_id)
        parsed = (
            current.definition
            if definition is None
            else self.parse(keep_stored_secrets(definition, current.definition))
        )
        if definition is not None:
            self._check_kinds(org_id, parsed)
        workflow_graph.check_triggers(self._store, org_id, parsed, workflow_id=workflow_id)
        return self._store.update_workflow(
            org_id,
            workflow_id,
            name=current.name if name is None else check_name(name),
            definition=parsed,
            now=self._clock.now(),
            # Without an expected version, still refuse to overwrite a change made meanwhile.
            expected_version=current.version if expected_version is None else expected_version,
            author=author,
        )

    def versions(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId
    ) -> builtins.list[domain.WorkflowVersion]:
        """Every version kept, oldest first."""
        return self._store.list_workflow_versions(org_id, workflow_id)

    def version(
        self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId, version: int
    ) -> domain.WorkflowVersion:
        return self._store.get_workflow_version(org_id, workflow_id, version)

    def rollback(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        version: int,
        *,
        author: str,
        expected_version: int | None = None,
    ) -> domain.Workflow:
        """Write a new version whose definition equals ``version``'s (validated again, so a
        step kind no longer allowed cannot come back); the name stays. ``StaleVersion`` when
        ``expected_version`` is given and the workflow has moved on."""
        target = self._store.get_workflow_version(org_id, workflow_id, version)
        return self.update(
            org_id,
            workflow_id,
            definition=target.definition.to_json(),
            expected_version=expected_version,
            author=author,
        )

    def _check_kinds(
        self, org_id: domain.OrganizationId, definition: domain.WorkflowDefinition
    ) -> None:
        if self._shell_gate is None or self._shell_gate.allows(org_id):
            return
        for index, step in enumerate(definition.steps):
            if step.kind == shell.KIND:
                raise errors.InvalidInput(
                    field=f"definition.steps[{index}].kind", message=shell.NOT_FOR_ORGANIZATION
                )

    def delete(self, org_id: domain.OrganizationId, workflow_id: domain.WorkflowId) -> None:
        """``Conflict`` while a schedule still runs it."""
        self._store.delete_workflow(org_id, workflow_id, now=self._clock.now())

    def put(
        self,
        org_id: domain.OrganizationId,
        *,
        name: str,
        definition: object,
        author: str = domain.UNKNOWN_AUTHOR,
        expected_version: int | None = None,
        create_only: bool = False,
    ) -> tuple[domain.Workflow, bool]:
        """Create the workflow named ``name``, or give the existing one ``definition``; True
        when it was created. The same definition again writes nothing (the version stays).

        Conditions, checked before anything else (``PreconditionFailed``, nothing written):
        ``expected_version``: the workflow exists at that version; ``create_only``: it does
        not exist yet."""
        name = check_name(name)
        current = self._store.find_workflow_by_name(org_id, name)
        check_put(current, "workflow", name, expected_version, create_only)
        if current is None:
            try:
                return self.create(org_id, name=name, definition=definition, author=author), True
            except errors.NameTaken as taken:  # created meanwhile: update that one
                if create_only:
                    raise name_exists("workflow", name, taken.existing_id) from None
                current = self._store.get_workflow(org_id, domain.WorkflowId(taken.existing_id))
        definition = keep_stored_secrets(definition, current.definition)
        if self.parse(definition).to_json() == current.definition.to_json():
            return current, False
        updated = self.update(
            org_id,
            current.id,
            definition=definition,
            expected_version=expected_version,
            author=author,
        )
        return updated, False


def parse(
    definition: object,
    *,
    kinds: Collection[str] = domain.ACTION_KINDS,
    check_config: domain.ConfigCheck | None = None,
) -> domain.WorkflowDefinition:
    """A definition (untrusted JSON) checked as every save checks it, but for what needs the
    organization (trigger targets, the shell gate); ``InvalidInput`` naming the field."""
    parsed = domain.parse_definition(definition, kinds=kinds, check_config=check_config)
    workflow_graph.check_references(parsed)
    return parsed


class Versioned(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def version(self) -> int: ...


def check_put(
    current: Versioned | None,
    kind: str,
    name: str,
    expected_version: int | None,
    create_only: bool,
) -> None:
    """The conditions of a write by name (HTTP's ``If-Match`` and ``If-None-Match: *``)."""
    if create_only and current is not None:
        raise name_exists(kind, name, current.id)
    if expected_version is None:
        return
    if current is None:
        raise errors.PreconditionFailed(f"no {kind} named {name!r} to change")
    if current.version != expected_version:
        raise errors.StaleVersion(name, expected=expected_version, actual=current.version)


def name_exists(kind: str, name: str, existing_id: int) -> errors.PreconditionFailed:
    return errors.PreconditionFailed(
        f"{kind} {existing_id} is named {name!r} already", condition="If-None-Match"
    )


def keep_stored_secrets(
    definition: object, current: domain.WorkflowDefinition | None, *, field: str = "definition"
) -> object:
    """``definition`` (untrusted JSON) with each ``***`` in a secret place of a step replaced by
    what the step of the same name and kind holds in ``current``; ``InvalidInput`` naming the
    step's config when there is nothing to keep. Anything malformed is left to the parser."""
    if not isinstance(definition, Mapping) or not isinstance(definition.get("steps"), list):
        return definition
    stored = {step.name: step for step in current.steps} if current is not None else {}
    steps: list[object] = []
    for index, raw in enumerate(definition["steps"]):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("config"), dict):
            steps.append(raw)
            continue
        kind, name = raw.get("kind"), raw.get("name")
        before = stored.get(name) if isinstance(name, str) else None
        try:
            config = secret_values.keep_stored(
                str(kind),
                raw["config"],
                before.config if before is not None and before.kind == kind else None,
            )
        except secret_values.SecretNotKept as exc:
            raise errors.InvalidInput(
                field=f"{field}.steps[{index}].config", message=str(exc)
            ) from None
        steps.append({**raw, "config": config})
    return {**definition, "steps": steps}
