"""The API docs page works offline: Swagger UI's files come from the process itself. Checked
over HTTP (every file the page names is served here) and in a headless Chromium whose every
request to another host is refused."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
import pytest

from tests.system.e2e.processes import BANNER, Process, environment

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CRONWRIGHT_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CRONWRIGHT_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    where = tmp_path_factory.mktemp("docs")
    process = Process(["serve", "--port", "0"], cwd=where, env=environment())
    try:
        yield process.wait_for_output(BANNER).group(1)
    finally:
        process.stop()


def test_every_file_the_docs_page_names_is_served_here(served: str) -> None:
    page = httpx.get(f"{served}/api/v1/docs", timeout=10)
    assert page.status_code == 200
    named = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    named += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
    assert len(named) >= 4, page.text  # script, styles, icon, the OpenAPI document
    for reference in named:
        absolute = urljoin(f"{served}/api/v1/docs", reference)
        assert urlparse(absolute).netloc == urlparse(served).netloc, reference
        assert httpx.get(absolute, timeout=10).status_code == 200, reference
    assert "cdn" not in page.text.lower()


def test_swagger_ui_renders_the_operations_without_the_network(served: str, tmp_path: Path) -> None:
    try:
        from playwright.sync_api import Route, sync_playwright
    except ImportError as exc:
        if REQUIRE_BROWSER:
            pytest.fail(f"a browser is required: {exc}")
        pytest.skip(f"no playwright: {exc}")
    if shutil.which(CHROMIUM) is None:
        if REQUIRE_BROWSER:
            pytest.fail(f"a browser is required: {CHROMIUM} is not installed")
        pytest.skip(f"{CHROMIUM} is not installed")
    own = urlparse(served).netloc
    refused: list[str] = []

    def offline(route: Route) -> None:
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context.route("**/*", offline)
            page = context.new_page()
            page.goto(f"{served}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() > 10
            assert "cronwright" in page.locator(".title").first.inner_text()
        finally:
            context.close()
    assert refused == []
