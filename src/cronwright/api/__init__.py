"""The HTTP API (FastAPI under ``/api/v1``): an edge that maps requests to the service layer and
domain errors to ``application/problem+json``, once."""

from cronwright.api.app import create_app
from cronwright.api.container import Container

__all__ = ["Container", "create_app"]
