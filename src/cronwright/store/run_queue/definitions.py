"""Parsed workflow definitions for claimed runs, kept by (workflow id, version).

Every claim needs the definitions of its runs' workflows. A burst claims runs of the same few
workflows over and over: reading and parsing each definition once per version, not once per
claim, saves a statement and a validation in every claim transaction. A workflow's version goes
up with every change of its definition, and each version is kept in ``workflow_versions``, so
a kept entry is never stale and a run gets the version it was claimed at.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.store.database.schema import WorkflowRow, WorkflowVersionRow

DEFAULT_SIZE = 256
Key = tuple[int, int]  # (workflow id, version)


class DefinitionCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._parsed: OrderedDict[Key, domain.WorkflowDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def of(
        self, connection: Connection, keys: Collection[Key]
    ) -> dict[Key, domain.WorkflowDefinition]:
        """The definition for each (id, version); those not kept are read on ``connection``."""
        found: dict[Key, domain.WorkflowDefinition] = {}
        with self._lock:
            for key in keys:
                definition = self._parsed.get(key)
                if definition is not None:
                    self._parsed.move_to_end(key)
                    found[key] = definition
        missing = sorted(key for key in keys if key not in found)
        if missing:
            found.update(self._read(connection, missing))
        return found

    def _read(
        self, connection: Connection, keys: list[Key]
    ) -> dict[Key, domain.WorkflowDefinition]:
        """Each (id, version) from the workflow's history (every save writes its version in
        the save's transaction): exactly the version the claim read and routed, even if the
        workflow was saved again since (possible on PostgreSQL within the claim)."""
        versions = WorkflowVersionRow.__table__.c
        rows = connection.execute(
            sa.select(versions.workflow_id, versions.version, versions.definition).where(
                sa.tuple_(versions.workflow_id, versions.version).in_(keys)
            )
        )
        read: dict[Key, domain.WorkflowDefinition] = {}
        with self._lock:
            for workflow_id, version, document in rows:
                key = (workflow_id, version)
                read[key] = self._parsed[key] = domain.WorkflowDefinition.from_json(document)
            while len(self._parsed) > self._size:
                self._parsed.popitem(last=False)
        absent = [key for key in keys if key not in read]
        if absent:  # a history with a gap: the workflow as it is now, as before versions
            read.update(self._read_current(connection, absent))
        return read

    def _read_current(
        self, connection: Connection, keys: list[Key]
    ) -> dict[Key, domain.WorkflowDefinition]:
        workflows = WorkflowRow.__table__.c
        current = dict(
            connection.execute(
                sa.select(workflows.id, workflows.definition).where(
                    workflows.id.in_(sorted({workflow_id for workflow_id, _ in keys}))
                )
            ).all()
        )
        return {key: domain.WorkflowDefinition.from_json(current[key[0]]) for key in keys}
