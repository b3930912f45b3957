"""Bad input is an error page (the dashboard) or a problem (the API), never a 500 and never the
other's format; ids in paths are strict integers in range everywhere."""

from __future__ import annotations

import base64

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cronwright.web.pages import HEADERS
from tests.component.security.edge import V1, Edge, Tenant, csrf_of, problem_of

HUGE = "99999999999999999999"
BEYOND_BIGINT = str(2**63)


def forged_cursor(text: str) -> str:
    """What an attacker sends: the old base64 form, or hex past the largest id."""
    if text.startswith("id:") and text[3:].isascii() and text[3:].isdigit():
        return f"{int(text[3:]):x}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_PAGES = [
    f"/ui/schedules/{HUGE}",
    f"/ui/schedules/{BEYOND_BIGINT}",
    f"/ui/runs/{HUGE}",
    "/ui/schedules/abc",
    "/ui/schedules/1.0",
    "/ui/schedules/-1",
    "/ui/schedules/0",
    "/ui/runs/1e3",
    f"/ui/schedules?cursor={forged_cursor('id:' + HUGE)}",
    f"/ui/schedules?cursor={forged_cursor('id:' + BEYOND_BIGINT)}",
    f"/ui/runs?cursor={forged_cursor('id:' + HUGE)}",
    "/ui/runs?cursor=%25%25%25",
    f"/ui/runs?cursor={forged_cursor('id:²')}",
    "/ui/runs?state=nonsense",
]


def assert_error_page(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "<h1>" in response.text


@pytest.mark.parametrize("path", BAD_PAGES)
def test_bad_ids_and_cursors_are_dashboard_error_pages(edge: Edge, acme: Tenant, path: str) -> None:
    client = edge.signed_in(acme.tokens["viewer"])
    assert_error_page(client.get(path), 400, 404)


@pytest.mark.parametrize("path", [f"/ui/schedules/{HUGE}/pause", "/ui/schedules/abc/pause"])
def test_bad_ids_in_forms_are_dashboard_error_pages(edge: Edge, acme: Tenant, path: str) -> None:
    client = edge.signed_in(acme.tokens["editor"])
    token = csrf_of(client.get("/ui/"))
    assert_error_page(client.post(path, data={"csrf": token}), 404)


def test_other_http_errors_are_dashboard_pages_too(edge: Edge, acme: Tenant) -> None:
    client = edge.signed_in(acme.tokens["viewer"])
    assert_error_page(client.get("/ui/no/such/page"), 404)
    not_allowed = client.put("/ui/signin")
    assert_error_page(not_allowed, 405)
    assert set(not_allowed.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    api_not_allowed = edge.client(acme.tokens["viewer"]).put(f"{V1}/schedules/1")
    problem_of(api_not_allowed, 405)
    allowed = set(api_not_allowed.headers["allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def browsing(edge: Edge) -> httpx.Client:
    """A viewer signed in once for every example."""
    return edge.signed_in(edge.tenant().tokens["viewer"])


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    segment=st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="/?#%"),
        min_size=1,
    )
)
def test_any_path_segment_is_an_id_or_an_error_page(browsing: httpx.Client, segment: str) -> None:
    assume(segment.strip(".") != "")  # "." and ".." are resolved by the client, not sent
    response = browsing.get(f"/ui/schedules/{segment}")
    if segment.isdigit() and 1 <= int(segment) < 2**63:
        assert response.status_code in (200, 404)
    else:
        assert_error_page(response, 400, 404)


@pytest.mark.parametrize(
    "path",
    ["/schedules/1.0", "/schedules/+1", "/schedules/%201", "/schedules/1_0", "/workflows/1.0"],
)
def test_api_path_ids_are_strict_integers(edge: Edge, acme: Tenant, path: str) -> None:
    """Lax parsing read ``1.0`` as ``1`` and answered 200 with schedule 1."""
    edge.schedule(acme)  # so that id 1 exists (in some organization: the first test's, or ours)
    edge.schedule(acme, "second")
    viewer = edge.client(acme.tokens["viewer"])
    problem = problem_of(viewer.get(V1 + path), 400)
    assert problem["errors"][0]["message"] == "must be a whole number written in digits"


@pytest.mark.parametrize(
    "path",
    [f"/schedules/{HUGE}", f"/runs/{BEYOND_BIGINT}", f"/schedules?cursor={forged_cursor('id:²')}"],
)
def test_api_ids_out_of_range_are_problems(edge: Edge, acme: Tenant, path: str) -> None:
    viewer = edge.client(acme.tokens["viewer"])
    problem_of(viewer.get(V1 + path), 400)
