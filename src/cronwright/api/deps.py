"""Request-scoped access to the container, as ``Annotated`` aliases for route signatures."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from cronwright import service
from cronwright.api.container import Container
from cronwright.service import alert_channels, triggers
from cronwright.service import templates as service_templates
from cronwright.store import contracts


def get_container(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def get_service(request: Request) -> service.Service:
    return get_container(request).service


def get_alert_channels(request: Request) -> alert_channels.AlertChannels:
    return get_container(request).alert_channels


def get_triggers(request: Request) -> triggers.Triggers:
    return get_container(request).triggers


def get_templates(request: Request) -> service_templates.Templates:
    return get_container(request).templates


def get_queue(request: Request) -> contracts.RunQueue:
    return get_container(request).queue


ContainerDep = Annotated[Container, Depends(get_container)]
ServiceDep = Annotated[service.Service, Depends(get_service)]
AlertChannelsDep = Annotated[alert_channels.AlertChannels, Depends(get_alert_channels)]
TriggersDep = Annotated[triggers.Triggers, Depends(get_triggers)]
QueueDep = Annotated[contracts.RunQueue, Depends(get_queue)]
TemplatesDep = Annotated[service_templates.Templates, Depends(get_templates)]
