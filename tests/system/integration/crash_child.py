"""Child process for the crash-safety tests: edits one schedule until it is killed.

Usage: crash_child.py URL ORG_ID SCHEDULE_ID MODE
- ``pause-mid-update``: start one edit, announce ``MID-UPDATE`` once the schedule row is updated
  but before the snapshot and event are written and committed, then hang until killed.
- ``loop``: edit as fast as possible, printing each committed version, until killed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import sqlalchemy as sa

from cronwright import domain, service
from cronwright.clock import SystemClock
from cronwright.store.catalog import sql_catalog


def main() -> None:
    url, org_id, schedule_id, mode = sys.argv[1:5]
    org, schedule = domain.OrganizationId(int(org_id)), domain.ScheduleId(int(schedule_id))
    store = sql_catalog.SqlCatalog.from_url(url)
    svc = service.Service.build(store, SystemClock())
    if mode == "pause-mid-update":
        seen: list[str] = []

        @sa.event.listens_for(store.engine, "after_cursor_execute")
        def hang_after_the_row_update(*args: Any) -> None:
            seen.append(" ".join(str(args[2]).split()[:3]).upper())
            if seen[-1] == "INSERT INTO SCHEDULE_VERSIONS" and "UPDATE SCHEDULES SET" in seen:
                print("MID-UPDATE", flush=True)
                time.sleep(3600)

        svc.schedules.update(org, schedule, {"cron": "0 5 * * *", "name": "new"}, author="child")
        return
    for n in range(1_000_000):
        updated = svc.schedules.update(
            org, schedule, {"cron": f"{n % 60} 5 * * *", "name": f"edit {n}"}, author="child"
        )
        print(updated.version, flush=True)


if __name__ == "__main__":
    main()
