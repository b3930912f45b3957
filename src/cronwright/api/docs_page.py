"""The API's docs page: Swagger UI with its script, styles and icon served by this process
(from the ``fastapi-offline`` package), so the page works without reaching any CDN."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(resources.files("fastapi_offline") / "static"))


def install_docs_page(app: FastAPI, *, docs_url: str, openapi_url: str) -> None:
    """Serve Swagger UI at ``docs_url`` and its files under ``docs_url/assets``."""
    assets_url = f"{docs_url}/assets"
    app.mount(assets_url, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{root}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_url}/favicon.png",
            # Swagger UI would send the document to an online validator for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
