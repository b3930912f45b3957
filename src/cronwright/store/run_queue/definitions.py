"""Parsed workflow definitions for claimed runs, kept by (workflow id, version).

Every claim needs the definitions of its runs' workflows. A burst claims runs of the same few
workflows over and over: reading and parsing each definition once per version, not once per
claim, saves a statement and a validation in every claim transaction. A workflow's version goes
up with every change of its definition, so a kept entry is never stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.store.database.schema import WorkflowRow

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
        missing = [key for key in keys if key not in found]
        if missing:
            read = self._read(connection, sorted({workflow_id for workflow_id, _ in missing}))
            for key in missing:
                # On PostgreSQL the workflow may have changed since the run was chosen: the
                # run gets the definition as it is now, as it would without this cache.
                found[key] = read[key[0]]
        return found

    def _read(
        self, connection: Connection, workflow_ids: list[int]
    ) -> dict[int, domain.WorkflowDefinition]:
        workflows = WorkflowRow.__table__.c
        rows = connection.execute(
            sa.select(workflows.id, workflows.version, workflows.definition).where(
                workflows.id.in_(workflow_ids)
            )
        )
        read: dict[int, domain.WorkflowDefinition] = {}
        with self._lock:
            for workflow_id, version, document in rows:
                read[workflow_id] = self._parsed[workflow_id, version] = (
                    domain.WorkflowDefinition.from_json(document)
                )
            while len(self._parsed) > self._size:
                self._parsed.popitem(last=False)
        return read
