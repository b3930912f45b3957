"""Schedule templates: a workflow and a schedule with typed parameters, filled in on use.

Pure code over plain JSON: parsing and checking templates, filling in parameter values, and the
catalog shipped as files in ``catalog/``. Saving an organization's own templates and making
workflows and schedules from a template are the service's (:mod:`cronwright.service.templates`).
"""

from __future__ import annotations

from cronwright.templates.catalog import TemplateFileError, find_shipped, shipped
from cronwright.templates.parameters import Parameter, ParameterType
from cronwright.templates.schedule_fields import spec_fields
from cronwright.templates.template import Rendered, Template, parse_template

__all__ = [
    "Parameter",
    "ParameterType",
    "Rendered",
    "Template",
    "TemplateFileError",
    "find_shipped",
    "parse_template",
    "shipped",
    "spec_fields",
]
