"""Alert channels of the caller's organization (admins manage them; anyone may read)."""

from __future__ import annotations

from fastapi import APIRouter, status

from cronwright import domain
from cronwright.actions import secret_values
from cronwright.api.auth import Admin, Viewer
from cronwright.api.deps import AlertChannelsDep, ContainerDep
from cronwright.api.openapi import problems
from cronwright.api.params import ChannelIdPath, CursorDep, Limit
from cronwright.api.paths import API_PREFIX
from cronwright.api.schemas import alert_channels as schemas
from cronwright.domain import alert_channel

router = APIRouter(prefix=f"{API_PREFIX}/alert-channels", tags=["alert channels"])


def _cid(channel_id: int) -> alert_channel.AlertChannelId:
    return alert_channel.AlertChannelId(channel_id)


@router.post(
    "",
    operation_id="createAlertChannel",
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 401, 403, 409, 422),
)
def create_channel(
    caller: Admin, body: schemas.AlertChannelCreate, channels: AlertChannelsDep
) -> schemas.AlertChannelOut:
    channel = channels.create(
        caller.org_id,
        name=body.name,
        kind=body.kind,
        target=body.target,
        events=body.events,
        secret=body.secret,
        enabled=body.enabled,
    )
    return schemas.AlertChannelOut.of(channel)


@router.get("", operation_id="listAlertChannels", responses=problems(400, 401, 422))
def list_channels(
    caller: Viewer,
    channels: AlertChannelsDep,
    cursor: CursorDep,
    limit: Limit = domain.DEFAULT_PAGE_SIZE,
) -> schemas.AlertChannelPage:
    page = channels.list(caller.org_id, cursor=cursor, limit=limit)
    return schemas.AlertChannelPage(
        items=[schemas.AlertChannelOut.of(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{channel_id}", operation_id="getAlertChannel", responses=problems(400, 401, 404))
def get_channel(
    caller: Viewer, channel_id: ChannelIdPath, channels: AlertChannelsDep
) -> schemas.AlertChannelOut:
    return schemas.AlertChannelOut.of(channels.get(caller.org_id, _cid(channel_id)))


@router.patch(
    "/{channel_id}",
    operation_id="updateAlertChannel",
    responses=problems(400, 401, 403, 404, 409, 422),
)
def update_channel(
    caller: Admin,
    channel_id: ChannelIdPath,
    body: schemas.AlertChannelChanges,
    channels: AlertChannelsDep,
) -> schemas.AlertChannelOut:
    channel = channels.update(
        caller.org_id,
        _cid(channel_id),
        name=body.name,
        target=body.target,
        events=None if body.events is None else list(body.events),
        secret=None if body.secret == secret_values.MASK else body.secret,
        clear_secret="secret" in body.model_fields_set and body.secret is None,
        enabled=body.enabled,
    )
    return schemas.AlertChannelOut.of(channel)


@router.delete(
    "/{channel_id}",
    operation_id="deleteAlertChannel",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(400, 401, 403, 404),
)
def delete_channel(caller: Admin, channel_id: ChannelIdPath, channels: AlertChannelsDep) -> None:
    channels.delete(caller.org_id, _cid(channel_id))


@router.post(
    "/{channel_id}/test",
    operation_id="testAlertChannel",
    responses=problems(400, 401, 403, 404),
)
def test_channel(
    caller: Admin, channel_id: ChannelIdPath, container: ContainerDep
) -> schemas.AlertTestOut:
    """Send a test alert through the channel now (enabled or not) and say whether it arrived.
    The request waits for the channel, at most the sender's timeout; the attempt is recorded
    like any delivery and never retried. A refusing channel is a 200 with ``delivered: false``
    and a class of failure only: the details (which could tell open ports from closed ones on
    the server's network) are recorded for the operator."""
    outcome = container.alerter.send_test(caller.org_id, _cid(channel_id))
    return schemas.AlertTestOut(
        delivered=outcome.delivered, error=outcome.public_error, delivery_id=outcome.delivery_id
    )
