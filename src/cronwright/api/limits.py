"""The API's request body limit: 413 problems, counted while the body streams in."""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from cronwright.api.errors import problem

MAX_BODY_BYTES = 1024 * 1024


def too_large(scope: Scope, max_bytes: int) -> Response:
    return problem(
        413, f"the request body must be at most {max_bytes} bytes", instance=str(scope["path"])
    )
