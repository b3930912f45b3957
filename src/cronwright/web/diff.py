"""Two versions side by side, field by field: the rows of the diff pages of schedules and of
workflows, and what each version changed, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cronwright import domain
from cronwright.web import masking


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldPair:
    """One field of two versions; a field one of them lacks is ``absent`` on that side."""

    name: str
    old: domain.JsonValue
    new: domain.JsonValue
    old_absent: bool = False
    new_absent: bool = False

    @property
    def changed(self) -> bool:
        return (self.old_absent, self.old) != (self.new_absent, self.new)


def pairs(
    old: Mapping[str, domain.JsonValue], new: Mapping[str, domain.JsonValue]
) -> list[FieldPair]:
    """Every field of either side, in the old side's order, then the new side's additions."""
    names = list(old) + [name for name in new if name not in old]
    return [
        FieldPair(
            name=name,
            old=old.get(name),
            new=new.get(name),
            old_absent=name not in old,
            new_absent=name not in new,
        )
        for name in names
    ]


def changed(fields: list[FieldPair]) -> list[str]:
    return [field.name for field in fields if field.changed]


def schedule_fields(version: domain.ScheduleVersion) -> dict[str, domain.JsonValue]:
    spec = version.spec.to_json()
    return {name: spec[name] for name in domain.SPEC_FIELDS}


def workflow_fields(version: domain.WorkflowVersion) -> dict[str, domain.JsonValue]:
    """The name, then each step by name (secret values masked): a step added, removed or edited is
    one row."""
    shown = masking.masked(version.definition.to_json())
    steps = shown["steps"]
    assert isinstance(steps, list)
    fields: dict[str, domain.JsonValue] = {"name": version.name}
    for step in steps:
        assert isinstance(step, dict)
        fields[f"step {step['name']}"] = step
    return fields


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow:
    version: int
    author: str
    created_at: datetime
    changes: list[str]  # the fields it changed from the version before; empty for the first


def history(versions: list[domain.WorkflowVersion]) -> list[VersionRow]:
    """``versions`` (oldest first) newest first, each with what it changed."""
    found: list[VersionRow] = []
    before: domain.WorkflowVersion | None = None
    for version in versions:
        changes = (
            []
            if before is None
            else changed(pairs(workflow_fields(before), workflow_fields(version)))
        )
        found.append(
            VersionRow(
                version=version.version,
                author=version.author,
                created_at=version.created_at,
                changes=changes,
            )
        )
        before = version
    return list(reversed(found))
