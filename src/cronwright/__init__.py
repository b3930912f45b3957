"""cronwright: durable, exactly-once cron scheduling of workflows for many organizations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from cronwright.bootstrap.app import App


def __getattr__(name: str) -> Any:
    # ``App`` pulls in SQLAlchemy and the whole engine: load it on first use only, so that
    # ``import cronwright.cron`` stays light.
    if name == "App":
        from cronwright.bootstrap.app import App

        return App
    raise AttributeError(f"module 'cronwright' has no attribute {name!r}")


__all__ = ["App", "__version__"]
