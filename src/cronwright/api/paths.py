"""Where the API lives. Each resource router carries the full prefix itself, so a route's
``path`` is the URL template clients see (metrics label by it, the access matrix lists it)."""

API_PREFIX = "/api/v1"
