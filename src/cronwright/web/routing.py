"""What the router knows about a path, for answers it must complete itself."""

from __future__ import annotations

from starlette.requests import Request


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's app serves at its path.

    Starlette's 405 names the methods of the first route that matched the path only, and FastAPI
    makes one route per method, so ``Allow`` would leave the others out."""
    path = request.scope.get("path", "")
    root = str(request.scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :] or "/"  # a mounted app's routes are relative to its mount
    methods: set[str] = set()
    pending = list(request.app.routes)
    while pending:
        route = pending.pop()
        # FastAPI keeps an included router as one entry holding the router's own routes.
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
            continue
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)
