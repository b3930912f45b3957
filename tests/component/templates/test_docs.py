"""The examples of docs/templates.md work as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cronwright import domain, errors, service
from cronwright.clock import FakeClock
from cronwright.service import declarative
from cronwright.service import templates as service_templates
from cronwright.store.catalog import sql_catalog

DOC = (Path(__file__).parents[3] / "docs" / "templates.md").read_text()
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_template_written_in_the_docs_saves_and_instantiates(
    catalog: service_templates.Templates, org: domain.Organization
) -> None:
    [document] = [yaml.safe_load(b) for b in BLOCKS if b.startswith("name: ping-partner")]
    saved = catalog.save(org.id, document, author="docs")
    assert (saved.template.name, saved.template.version) == ("ping-partner", 1)
    made = catalog.instantiate(
        org.id,
        "ping-partner",
        schedule_name="partner",
        parameters={"url": "https://partner.example.org/health"},
        author="docs",
    )
    assert made.schedule.spec.cron == "*/15 * * * *"


def test_the_apply_file_in_the_docs_applies(
    catalog: service_templates.Templates,
    svc: service.Service,
    sql_store: sql_catalog.SqlCatalog,
    clock: FakeClock,
) -> None:
    [text] = [b for b in BLOCKS if b.startswith("organization: acme")]
    applier = declarative.Declarative(svc, sql_store, clock, templates=catalog)
    plan = applier.plan(declarative.load(text, file="docs.yaml"))
    assert plan.lines()[-2:] == ['+ schedule "site-health"', '+ schedule "hosting-renewal"']
    applier.apply(plan, author="docs")
    assert applier.plan(declarative.load(text, file="docs.yaml")).is_empty


def test_a_shipped_name_cannot_be_saved_as_an_own_template(
    catalog: service_templates.Templates, org: domain.Organization
) -> None:
    [document] = [yaml.safe_load(b) for b in BLOCKS if b.startswith("name: ping-partner")]
    with pytest.raises(errors.Conflict, match="is a shipped template"):
        catalog.save(org.id, {**document, "name": "hourly-sync"}, author="docs")
