"""Workflows: a name and a DAG of steps. Shape and sizes are checked here (400); kinds, configs,
dangling dependencies and cycles by the service (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, JsonValue

from cronwright import domain
from cronwright.actions import secret_values
from cronwright.api.schemas.common import (
    JSON_INTEGER,
    Integer,
    JsonDocument,
    Name,
    Out,
    Strict,
    clean_text,
)

StepName = Annotated[
    str, Field(min_length=1, max_length=64, examples=["fetch"]), AfterValidator(clean_text)
]


class StepIn(Strict):
    name: StepName
    kind: Annotated[
        str, Field(min_length=1, max_length=32, examples=["http"]), AfterValidator(clean_text)
    ]
    config: JsonDocument = Field(
        default_factory=dict, examples=[{"url": "https://example.org/report"}]
    )
    depends_on: list[StepName] = Field(default_factory=list, max_length=domain.workflow.MAX_STEPS)
    timeout: float | None = Field(
        default=None, description="Seconds for one try of the step; the run's timeout applies too."
    )
    retries: Integer = Field(
        default=0, description="More tries of the step within one run attempt."
    )


class DefinitionIn(Strict):
    steps: list[StepIn] = Field(min_length=1, max_length=domain.workflow.MAX_STEPS)

    def to_json(self) -> dict[str, Any]:
        # Unset optional fields are left out, as the service reads an absent field as its default.
        return self.model_dump(exclude_unset=True)


class WorkflowCreate(Strict):
    name: Name = Field(examples=["send report"])
    definition: DefinitionIn


class WorkflowChanges(Strict):
    """A PATCH: the fields present are replaced."""

    name: Name | None = None
    definition: DefinitionIn | None = None


class StepOut(Out):
    name: str
    kind: str
    config: dict[str, JsonValue] = Field(
        description='Secret values (header values, URL passwords, shell env values) read "***"; '
        'sent back as "***" on an update, they keep the stored value.'
    )
    depends_on: list[str]
    timeout: float | None
    retries: int


class DefinitionOut(Out):
    steps: list[StepOut]

    @classmethod
    def of(cls, definition: domain.WorkflowDefinition) -> DefinitionOut:
        """The definition as the API shows it: secret values masked."""
        return cls(
            steps=[
                StepOut(
                    name=step.name,
                    kind=step.kind,
                    config=secret_values.masked_config(step.kind, step.config),
                    depends_on=list(step.depends_on),
                    timeout=None if step.timeout is None else step.timeout.total_seconds(),
                    retries=step.retries,
                )
                for step in definition.steps
            ]
        )


class WorkflowOut(Out):
    id: int
    name: str
    definition: DefinitionOut
    version: int = Field(description="Also the workflow's ETag.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, workflow: domain.Workflow) -> WorkflowOut:
        return cls(
            id=workflow.id,
            name=workflow.name,
            definition=DefinitionOut.of(workflow.definition),
            version=workflow.version,
            created_at=workflow.created_at,
            updated_at=workflow.updated_at,
        )


class WorkflowVersionOut(Out):
    version: int
    name: str = Field(description="The workflow's name when this version was saved.")
    definition: DefinitionOut = Field(description="Secret values read `***`.")
    author: str = Field(description="Who saved it: `api-key:PREFIX`, `ui:PREFIX`, `apply:FILE`.")
    created_at: datetime

    @classmethod
    def of(cls, version: domain.WorkflowVersion) -> WorkflowVersionOut:
        return cls(
            version=version.version,
            name=version.name,
            definition=DefinitionOut.of(version.definition),
            author=version.author,
            created_at=version.created_at,
        )


class WorkflowRollback(Strict):
    version: Annotated[int, Field(ge=1, le=2**31 - 1, strict=False), JSON_INTEGER] = Field(
        description="The version whose definition becomes the new version (the name stays)."
    )


class WorkflowPage(Out):
    items: list[WorkflowOut]
    next_cursor: str | None
