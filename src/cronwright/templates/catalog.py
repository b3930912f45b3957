"""The templates shipped with cronwright: one YAML file each under ``catalog/``."""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from cronwright import errors
from cronwright.templates.template import Template, parse_template


class TemplateFileError(errors.CronwrightError, ValueError):
    """A shipped template file that does not parse: a defect of the package, named by file."""


@functools.cache
def shipped() -> tuple[Template, ...]:
    """Every shipped template, by name; read once per process."""
    found: list[Template] = []
    for entry in sorted(resources.files(__package__).joinpath("catalog").iterdir(), key=str):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            template = parse_template(yaml.safe_load(entry.read_text(encoding="utf-8")))
        except (errors.InvalidInput, yaml.YAMLError) as exc:
            raise TemplateFileError(f"catalog/{entry.name}: {exc}") from exc
        if f"{template.name}.yaml" != entry.name:
            raise TemplateFileError(f"catalog/{entry.name} holds template {template.name!r}")
        found.append(template)
    return tuple(sorted(found, key=lambda template: template.name))


def find_shipped(name: str) -> Template | None:
    return next((t for t in shipped() if t.name == name), None)
