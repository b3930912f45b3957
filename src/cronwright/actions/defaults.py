"""Every action kind this version ships, installed into one registry."""

from __future__ import annotations

from cronwright import domain, outbound
from cronwright.actions import celery, http_request, python, shell, trigger
from cronwright.actions.registry import ActionRegistry


def install_default_actions(
    registry: ActionRegistry,
    *,
    allow_shell: bool,
    trigger_port: trigger.ChainStarter | None,
    outbound_policy: outbound.OutboundPolicy | None = None,
    shell_gate: shell.ShellGate | None = None,
) -> ActionRegistry:
    """Add ``http`` (under ``outbound_policy``; None: the default, global addresses only),
    ``celery``, ``shell`` (refused with a clear message unless ``allow_shell``; then for the
    organizations ``shell_gate`` lets through, None: all) and, given a ``trigger_port``,
    ``trigger`` to ``registry`` (which has ``python`` already, or not)."""
    http_request.install(registry, outbound_policy or outbound.OutboundPolicy())
    celery.install(registry)
    shell.install(registry, allow=allow_shell, gate=shell_gate)
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


def config_checker(
    *, allow_shell: bool, outbound_policy: outbound.OutboundPolicy | None = None
) -> domain.ConfigCheck:
    """Config validation for every kind, for a process that saves workflows but runs none (an
    API-only node): python names are checked by pattern only, and nothing can be started."""
    registry = ActionRegistry()
    python.install(registry, python.PythonFunctions())
    install_default_actions(
        registry,
        allow_shell=allow_shell,
        trigger_port=_NoChains(),
        outbound_policy=outbound_policy,
    )
    return registry.check_config
