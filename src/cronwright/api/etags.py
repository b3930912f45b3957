"""ETags are a resource's version number (``"3"``); ``If-Match`` sends one back on changes, so
two editors cannot silently overwrite each other: the second gets 412 and re-reads.

``If-Match`` uses the strong comparison (RFC 9110 §13.1.1): a weak tag (``W/"3"``) never matches,
whatever its number, so it is answered 412 like a stale one.
"""

from __future__ import annotations

import re

from cronwright.api.errors import ApiProblem

IF_MATCH_PATTERN = r'^(?:\*|(?:W/)?"[0-9]{1,9}")$'  # what the API publishes and accepts
_ETAG = re.compile(r'\s*(W/)?"(\d{1,9})"\s*')
IF_NONE_MATCH_PATTERN = r"^\*$"  # only "create, if it does not exist yet"
NO_VERSION = 0  # versions start at 1: expecting this one always fails with the current version


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version ``If-Match`` names; None for ``*`` or (when optional) no header at all."""
    if if_match is None or not if_match.strip():  # an empty field names no version
        if required:
            raise ApiProblem(428, "send the ETag of the version you are changing", field="If-Match")
        return None
    if if_match.strip() == "*":
        return None
    match = _ETAG.fullmatch(if_match)
    if match is None:
        raise ApiProblem(400, 'must be an ETag such as "3", or *', field="If-Match")
    weak, version = match.groups()
    return NO_VERSION if weak else int(version)


def create_only(if_none_match: str | None) -> bool:
    """``If-None-Match: *`` on a write: it may only create (RFC 9110 §13.1.2)."""
    if if_none_match is None or not if_none_match.strip():
        return False
    if if_none_match.strip() != "*":
        raise ApiProblem(400, "only * is understood here", field="If-None-Match")
    return True
