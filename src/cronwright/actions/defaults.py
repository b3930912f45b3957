"""Every action kind this version ships, installed into one registry."""

from __future__ import annotations

import httpx

from cronwright.actions import http, shell, trigger
from cronwright.actions.registry import ActionRegistry


def install_default_actions(
    registry: ActionRegistry,
    *,
    allow_shell: bool,
    trigger_port: trigger.ChainStarter | None,
    http_client_factory: http.HttpClientFactory = httpx.Client,
) -> ActionRegistry:
    """Add ``http``, ``shell`` (refused with a clear message unless ``allow_shell``) and, given a
    ``trigger_port``, ``trigger`` to ``registry`` (which has ``python`` already, or not)."""
    http.install(registry, http_client_factory)
    shell.install(registry, allow=allow_shell)
    if trigger_port is not None:
        trigger.install(registry, trigger_port)
    return registry
