"""The dashboard: server-rendered pages over the service layer, mounted by ``serve`` at ``/ui``.

Sign-in takes an API key; every page is scoped to that key's organization (see docs/dashboard.md).
"""

from __future__ import annotations

from cronwright.web.app import create_dashboard, mount_dashboard
from cronwright.web.pages import Alerts

__all__ = ["Alerts", "create_dashboard", "mount_dashboard"]
