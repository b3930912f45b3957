"""The schedule version behind each claimed run, kept by version id.

A step learns its slot's schedule (name, expression, zone) from the version that made its run:
versions are immutable snapshots, so a kept entry is never stale, and a burst of runs of the same
few schedules costs one read per version, not one per claim.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cronwright import domain
from cronwright.store.database.schema import ScheduleRow, ScheduleVersionRow

# Enough for every schedule of a busy process: at 1,000 runs a second over 10,000 schedules
# (each firing every 10 s), a cache of 1,024 was read through on every claim. ~1 KB an entry.
DEFAULT_SIZE = 16_384


class OriginCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._kept: OrderedDict[int, domain.RunOrigin] = OrderedDict()
        self._lock = threading.Lock()

    def of(
        self, connection: Connection, version_ids: Collection[int]
    ) -> dict[int, domain.RunOrigin]:
        """The origin of each schedule version id; those not kept are read on ``connection``."""
        found: dict[int, domain.RunOrigin] = {}
        with self._lock:
            for version_id in version_ids:
                origin = self._kept.get(version_id)
                if origin is not None:
                    self._kept.move_to_end(version_id)
                    found[version_id] = origin
        missing = sorted(set(version_ids) - set(found))
        if missing:
            found.update(self._read(connection, missing))
        return found

    def _read(self, connection: Connection, version_ids: list[int]) -> dict[int, domain.RunOrigin]:
        versions = ScheduleVersionRow.__table__.c
        schedules = ScheduleRow.__table__.c
        query = (
            sa.select(versions.id, versions.schedule_id, versions.snapshot, schedules.hash_key)
            .join_from(
                ScheduleVersionRow.__table__,
                ScheduleRow.__table__,
                schedules.id == versions.schedule_id,
            )
            .where(versions.id.in_(version_ids))
        )
        read: dict[int, domain.RunOrigin] = {}
        with self._lock:
            for version_id, schedule_id, snapshot, hash_key in connection.execute(query):
                read[version_id] = self._kept[version_id] = domain.RunOrigin(
                    schedule_id=domain.ScheduleId(schedule_id),
                    hash_key=hash_key,
                    spec=domain.ScheduleSpec.from_json(snapshot),
                )
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return read
