"""Every action kind this version ships, installed into one registry."""

from __future__ import annotations

import httpx

from cronwright import domain
from cronwright.actions import celery, http, python, shell, trigger
from cronwright.actions.registry import ActionRegistry


def install_default_actions(
    registry: ActionRegistry,
    *,
    allow_shell: bool,
    trigger_port: trigger.ChainStarter | None,
    http_client_factory: http.HttpClientFactory = httpx.Client,
) -> ActionRegistry:
    """Add ``http``, ``celery``, ``shell`` (refused with a clear message unless
    ``allow_shell``) and, given a ``trigger_port``, ``trigger`` to ``registry`` (which has
    ``python`` already, or not)."""
    http.install(registry, http_client_factory)
    celery.install(registry)
    shell.install(registry, allow=allow_shell)
    if trigger_port is not None:
        trigger.install(registry, trigger_port)
    return registry


class _NoChains:
    def start_chained(
        self,
        org_id: domain.OrganizationId,
        workflow_id: domain.WorkflowId,
        *,
        input: domain.JsonObject,
        reason: str,
    ) -> domain.RunId:
        raise RuntimeError("this registry validates configs only; it runs nothing")


def config_checker(*, allow_shell: bool) -> domain.ConfigCheck:
    """Config validation for every kind, for a process that saves workflows but runs none (an
    API-only node): python names are checked by pattern only, and nothing can be started."""
    registry = ActionRegistry()
    python.install(registry, python.PythonFunctions())
    install_default_actions(registry, allow_shell=allow_shell, trigger_port=_NoChains())
    return registry.check_config
