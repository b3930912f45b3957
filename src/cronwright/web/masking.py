"""Header values of steps are credentials more often than not: pages show them masked, and an
edit that sends the mask back keeps the stored value."""

from __future__ import annotations

import copy

from cronwright import domain
from cronwright.actions import secret_values

MASK = "••••••••"


def _headers(definition: domain.JsonObject) -> list[dict[str, domain.JsonValue]]:
    """The ``headers`` objects of each step's config, in step order (None where there is none)."""
    found: list[dict[str, domain.JsonValue]] = []
    steps = definition.get("steps")
    for step in steps if isinstance(steps, list) else []:
        config = step.get("config") if isinstance(step, dict) else None
        headers = config.get("headers") if isinstance(config, dict) else None
        found.append(headers if isinstance(headers, dict) else {})
    return found


def masked(definition: domain.JsonObject) -> domain.JsonObject:
    """A copy of ``definition`` with every header value replaced by :data:`MASK`, and every other
    secret value (a password in a URL, a shell step's environment) by the API's mask, which an
    edit sends back to keep the stored value."""
    shown = copy.deepcopy(definition)
    for step in _steps(shown):
        config = step.get("config")
        if isinstance(config, dict):
            step["config"] = secret_values.masked_config(str(step.get("kind")), config)
    for headers in _headers(shown):
        for name in headers:
            headers[name] = MASK
    return shown


def unmasked(submitted: domain.JsonObject, stored: domain.JsonObject) -> domain.JsonObject:
    """``submitted`` with each header still equal to :data:`MASK` given back its stored value
    (same step name, same header name); a mask with nothing stored behind it stays as typed."""
    kept = {
        (str(step.get("name")), name): value
        for step, headers in zip(_steps(stored), _headers(stored), strict=True)
        for name, value in headers.items()
    }
    result = copy.deepcopy(submitted)
    for step, headers in zip(_steps(result), _headers(result), strict=True):
        for name, value in headers.items():
            if value == MASK and (str(step.get("name")), name) in kept:
                headers[name] = kept[(str(step.get("name")), name)]
    return result


def _steps(definition: domain.JsonObject) -> list[dict[str, domain.JsonValue]]:
    steps = definition.get("steps")
    return [s if isinstance(s, dict) else {} for s in steps] if isinstance(steps, list) else []
