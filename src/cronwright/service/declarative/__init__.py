"""Declarative setup: make an organization's workflows and schedules match a YAML or JSON file.

    declared = declarative.load(text, file="prod.yaml")     # ApplyError: file, line and field
    plan = declarative.Declarative(svc, store, clock).plan(declared, prune=False)
    print("\\n".join(plan.lines()))                           # the diff
    declarative.Declarative(svc, store, clock).apply(plan, author="apply:prod.yaml")

The format is described in docs/apply.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from cronwright import clock, domain
from cronwright.service import Service, workflow_graph
from cronwright.service import templates as service_templates
from cronwright.service.declarative import templated
from cronwright.service.declarative.document import Document, format_duration, parse_duration, read
from cronwright.service.declarative.execute import ChangedMeanwhile, ServiceWriter, Writer, execute
from cronwright.service.declarative.plan import Plan, Planner
from cronwright.service.declarative.source import ApplyError, ApplyErrors, Source, parse
from cronwright.store import contracts

T = TypeVar("T")
_NO_ORGANIZATION = domain.OrganizationId(0)  # has no workflows: every trigger target is missing


def load(text: str, *, file: str) -> Document:
    """Parse and structurally check a declaration; ``ApplyError`` points into the file when it
    cannot be read at all, and :meth:`Declarative.plan` reports the rest with its own."""
    return read(parse(text, file=file))


class Applier:
    """Plans a declaration against what ``planner`` reads, and writes plans with ``writer``;
    ``catalog``: the templates that schedules with a ``template:`` key are made from (without
    it, such a schedule is refused)."""

    def __init__(
        self, planner: Planner, writer: Writer, *, catalog: templated.Catalog | None = None
    ) -> None:
        self._planner = planner
        self._writer = writer
        self._catalog = catalog

    def plan(self, document: Document, *, prune: bool = False) -> Plan:
        """What applying ``document`` would change; validates everything, writes nothing."""
        used: tuple[templated.TemplateUsed, ...] = ()
        if any(entry.template is not None for entry in document.schedules):
            if self._catalog is None:
                raise document.source.error("schedules", "templates are not available here")
            org = self._planner.organization(document.organization)
            document, used = templated.expand(
                document, self._catalog, None if org is None else org.id
            )
        return dataclasses.replace(self._planner.plan(document, prune=prune), templates_used=used)

    def apply(
        self, plan: Plan, *, author: str, advance: Callable[[int], None] = lambda _n: None
    ) -> domain.Organization:
        org = execute(self._writer, plan, author=author, advance=advance)
        used = tuple(
            item for item in plan.templates_used if isinstance(item, templated.TemplateUsed)
        )
        if used and self._catalog is not None:
            templated.record(self._catalog, self._planner.schedules, org.id, used)
        return org


class Declarative(Applier):
    """On the database, through the service layer."""

    def __init__(
        self,
        service: Service,
        store: contracts.Catalog,
        clock: clock.Clock,
        *,
        templates: service_templates.Templates | None = None,
    ) -> None:
        planner = Planner(
            organizations=store.list_organizations,
            workflows=lambda org_id: every_page(
                lambda cursor: service.workflows.list(
                    org_id, cursor=cursor, limit=domain.MAX_PAGE_SIZE
                )
            ),
            schedules=lambda org_id: every_page(
                lambda cursor: service.schedules.list(
                    org_id, cursor=cursor, limit=domain.MAX_PAGE_SIZE
                )
            ),
            parse_definition=service.workflows.parse,
            check_triggers=lambda org_id, definition, workflow_id: workflow_graph.check_triggers(
                store,
                org_id or _NO_ORGANIZATION,
                definition,
                workflow_id=workflow_id,
            ),
            now=clock.now,
            retry_defaults=service.schedules.retry_defaults,
        )
        super().__init__(planner, ServiceWriter(service), catalog=templates)


def every_page(page: Callable[[str | None], domain.Page[T]]) -> list[T]:
    """Every item of a paged list: ``page(cursor)`` gives one page."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        found = page(cursor)
        items.extend(found.items)
        if found.next_cursor is None:
            return items
        cursor = found.next_cursor


__all__ = [
    "Applier",
    "ApplyError",
    "ApplyErrors",
    "ChangedMeanwhile",
    "Declarative",
    "Document",
    "Plan",
    "Planner",
    "ServiceWriter",
    "Source",
    "Writer",
    "every_page",
    "format_duration",
    "load",
    "parse",
    "parse_duration",
]
