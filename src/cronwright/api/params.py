"""Path and query parameters shared by several routes, bounded like the request bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.routing import APIRoute

from cronwright import domain, errors
from cronwright.api import etags
from cronwright.api.errors import ApiProblem
from cronwright.api.schemas.common import MAX_ID, Cursor, Instant, PageSize, Text
from cronwright.service import paging
from cronwright.web.params import Digits

ScheduleIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A schedule's id."), Digits]
WorkflowIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A workflow's id."), Digits]
RunIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A run's id."), Digits]
ApiKeyIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An API key's id."), Digits]
ChannelIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An alert channel's id."), Digits]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="A version number."), Digits]

Limit = Annotated[PageSize, Query(description="Page size."), Digits]
IfMatch = Annotated[
    Text | None,
    Header(
        # Checked by etags.expected_version, which words the error; published here.
        json_schema_extra={"pattern": etags.IF_MATCH_PATTERN},
        description='The ETag of the version being changed, e.g. "3" (a weak tag never matches), '
        "or *.",
    ),
]

IfNoneMatch = Annotated[
    Text | None,
    Header(
        json_schema_extra={"pattern": etags.IF_NONE_MATCH_PATTERN},
        description="`*`: create only; if the resource exists already, 412 and nothing written.",
    ),
]


def _cursor(
    cursor: Annotated[
        Cursor | None, Query(description="`next_cursor` of the previous page.")
    ] = None,
) -> str | None:
    # Decode now so a forged cursor is refused here, not as a database overflow later.
    after = paging.decode_cursor(cursor)
    if after is not None and after > MAX_ID:
        raise errors.InvalidInput(field="cursor", message="not a cursor from this list")
    return cursor


CursorDep = Annotated[str | None, Depends(_cursor)]


def _run_filter(
    state: Annotated[
        list[domain.RunState] | None, Query(max_length=8, description="Any of these states.")
    ] = None,
    trigger: Annotated[
        list[domain.Trigger] | None, Query(max_length=5, description="Any of these triggers.")
    ] = None,
    since: Annotated[Instant | None, Query(description="scheduled_for >= since")] = None,
    until: Annotated[Instant | None, Query(description="scheduled_for < until")] = None,
) -> domain.RunFilter:
    return domain.RunFilter(
        states=frozenset(state) if state else None,
        triggers=frozenset(trigger) if trigger else None,
        since=since,
        until=until,
    )


RunFilterDep = Annotated[domain.RunFilter, Depends(_run_filter)]


_QUERY_NAMES: dict[int, frozenset[str]] = {}  # by id(route): routes live as long as the process


def _query_names(route: APIRoute) -> frozenset[str]:
    if id(route) in _QUERY_NAMES:
        return _QUERY_NAMES[id(route)]
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(param.alias for param in dependant.query_params)
        pending.extend(dependant.dependencies)
    _QUERY_NAMES[id(route)] = frozenset(names)
    return _QUERY_NAMES[id(route)]


def reject_unknown_query(request: Request) -> None:
    """Unknown query parameters are refused like unknown body fields: a typo in a filter must not
    silently widen a list."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route))
    if unknown:
        raise ApiProblem(400, "is not a known query parameter", field=unknown[0] or "(empty)")
