"""A Python client for the REST API of a cronwright server.

>>> from cronwright.client import Client
>>> with Client("http://127.0.0.1:8080", api_key) as api:  # doctest: +SKIP
...     for schedule in api.schedules.iter(paused=False):
...         print(schedule.name, schedule.next_fire_at)
"""

from cronwright.client.client import Client
from cronwright.client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from cronwright.client.transport import RetryPolicy

__all__ = [
    "ApiError",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PreconditionFailed",
    "RateLimited",
    "RetryPolicy",
    "Unauthenticated",
    "Unavailable",
]
