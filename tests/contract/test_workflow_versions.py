"""Every save of a workflow is kept in its history, in the transaction of the save."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from tests.contract.conftest import DEFINITION

from cronwright import domain, errors
from cronwright.store.catalog import sql_catalog
from cronwright.store.database.schema import WorkflowVersionRow
from cronwright.store.run_queue import definitions

TWO_STEPS = domain.parse_definition(
    {"steps": [{"name": "a", "kind": "http"}, {"name": "b", "kind": "http", "depends_on": ["a"]}]}
)


def test_each_save_adds_a_version_with_its_author_and_time(
    store: sql_catalog.SqlCatalog, org: domain.Organization, t0: datetime
) -> None:
    made = store.add_workflow(
        org_id=org.id, name="report", definition=DEFINITION, now=t0, author="api-key:ab12"
    )
    later = t0 + timedelta(minutes=5)
    store.update_workflow(
        org.id, made.id, name="nightly", definition=TWO_STEPS, now=later, author="apply:prod.yaml"
    )
    versions = store.list_workflow_versions(org.id, made.id)
    assert [(v.version, v.name, v.author, v.created_at) for v in versions] == [
        (1, "report", "api-key:ab12", t0),
        (2, "nightly", "apply:prod.yaml", later),
    ]
    assert versions[0].definition == DEFINITION
    assert store.get_workflow_version(org.id, made.id, 2).definition == TWO_STEPS


def test_a_stale_save_adds_no_version(
    store: sql_catalog.SqlCatalog, org: domain.Organization, workflow: domain.Workflow, t0: datetime
) -> None:
    with pytest.raises(errors.StaleVersion):
        store.update_workflow(
            org.id, workflow.id, name="x", definition=TWO_STEPS, now=t0, expected_version=7
        )
    assert [v.version for v in store.list_workflow_versions(org.id, workflow.id)] == [1]
    assert store.list_workflow_versions(org.id, workflow.id)[0].author == domain.UNKNOWN_AUTHOR


def test_another_organizations_versions_are_not_found(
    store: sql_catalog.SqlCatalog,
    org: domain.Organization,
    other_org: domain.Organization,
    workflow: domain.Workflow,
) -> None:
    with pytest.raises(errors.WorkflowNotFound):
        store.list_workflow_versions(other_org.id, workflow.id)
    with pytest.raises(errors.WorkflowNotFound):
        store.get_workflow_version(other_org.id, workflow.id, 1)
    with pytest.raises(errors.WorkflowVersionNotFound):
        store.get_workflow_version(org.id, workflow.id, 2)


def test_a_claim_s_definition_is_the_version_it_claimed_even_after_an_edit(
    store: sql_catalog.SqlCatalog, org: domain.Organization, t0: datetime
) -> None:
    """On PostgreSQL a workflow may be saved between a claim's read of a run (version 1) and
    its read of the definition: the run executes version 1, the one its routing checked."""
    made = store.add_workflow(org_id=org.id, name="report", definition=DEFINITION, now=t0)
    store.update_workflow(org.id, made.id, name="report", definition=TWO_STEPS, now=t0)
    cache = definitions.DefinitionCache()
    with store.engine.connect() as connection:
        found = cache.of(connection, {(made.id, 1), (made.id, 2)})
    assert found == {(made.id, 1): DEFINITION, (made.id, 2): TWO_STEPS}


def test_a_version_missing_from_the_history_is_read_from_the_workflow(
    store: sql_catalog.SqlCatalog, org: domain.Organization, t0: datetime
) -> None:
    made = store.add_workflow(org_id=org.id, name="report", definition=DEFINITION, now=t0)
    with store.engine.begin() as connection:
        connection.execute(
            sa.delete(WorkflowVersionRow).where(WorkflowVersionRow.workflow_id == made.id)
        )
    with store.engine.connect() as connection:
        found = definitions.DefinitionCache().of(connection, {(made.id, 1)})
    assert found == {(made.id, 1): DEFINITION}
