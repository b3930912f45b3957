"""The composition root of a process: its one database engine, its clocks, its store, its loops.

``App``, ``cronwright serve`` and the cluster roles, the API container and the admin CLI all
open the database here and nowhere else, so every one of them gets:

- one SQLAlchemy engine (one pool) per process, shared by the store, the queues and the API;
- the database's clock on PostgreSQL, where hosts share the database but not their clocks
  (DESIGN §5: every time comparison uses the database clock); the system clock on SQLite,
  whose processes all run on one host;
- one registry of the process's periodic loops, which readiness, metrics and status read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from cronwright import clock as clock_module
from cronwright.engine import loop
from cronwright.store.catalog import alert_channels, sql_catalog, templates
from cronwright.store.database import database_clock as db_clock
from cronwright.store.database import dialect
from cronwright.store.run_queue import sql_queue
from cronwright.store.slots import slot_ledger

ClockFactory = Callable[[], clock_module.Clock]


def clock_factory(engine: Engine) -> ClockFactory:
    """A new clock per loop (a wake-up meant for one loop never cuts another's sleep): the
    database's time on PostgreSQL, where hosts share it; the system's on SQLite (one host)."""
    if dialect.capabilities_of(engine).shared_clock:
        return lambda: db_clock.DatabaseClock(engine)
    return clock_module.SystemClock


@dataclass(eq=False)
class Root:
    engine: Engine
    store: sql_catalog.SqlCatalog
    clocks: ClockFactory  # a new clock for each loop; the same one when a test injects one
    loops: loop.Loops = field(default_factory=loop.Loops)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: clock_module.Clock | None = None,
        engine_options: dict[str, Any] | None = None,
    ) -> Root:
        """The process's database at ``url`` (migrated or checked by the caller). ``clock``:
        one clock for everything (tests); otherwise :func:`clock_factory`'s."""
        engine = dialect.create_engine(url, **(engine_options or {}))
        chosen: ClockFactory = (lambda: clock) if clock is not None else clock_factory(engine)
        return cls(engine=engine, store=sql_catalog.SqlCatalog(engine), clocks=chosen)

    def clock(self) -> clock_module.Clock:
        return self.clocks()

    # The store's parts over the process's engine: the only place the edges get them from.

    def run_queue(self, **options: Any) -> sql_queue.SqlRunQueue:
        return sql_queue.SqlRunQueue(self.engine, **options)

    def slot_ledger(self, **options: Any) -> slot_ledger.SqlSlotLedger:
        return slot_ledger.SqlSlotLedger(self.engine, **options)

    def alert_channel_store(self) -> alert_channels.SqlAlertChannels:
        return alert_channels.SqlAlertChannels(self.engine)

    def template_store(self) -> templates.SqlTemplates:
        return templates.SqlTemplates(self.engine)

    def close(self) -> None:
        self.engine.dispose()
