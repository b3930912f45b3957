"""Schedules over HTTP: every route's happy path and its errors, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from cronwright import domain
from tests.component.api.conftest import Api, Tenant, fields_of, problem_of, rejected, schedule_body
from tests.support.rows import add_run

BASE = "/api/v1/schedules"


def create(tenant: Tenant, **changes: object) -> dict[str, object]:
    response = tenant.editor.post(BASE, json=schedule_body(tenant, **changes))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_create_returns_the_schedule_with_its_etag_and_location(api: Api, acme: Tenant) -> None:
    response = acme.editor.post(
        BASE,
        json=schedule_body(
            acme,
            cron="0 9 * * MON-FRI",
            timezone="America/New_York",
            input={"report": "sales"},
            timeout_seconds=90,
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{BASE}/{body['id']}")
    assert body["version"] == 1
    assert body["input"] == {"report": "sales"}
    assert body["timeout_seconds"] == 90
    # 2026-03-02 09:30 UTC is 04:30 in New York (EST): the next weekday 09:00 EST is 14:00 UTC.
    assert body["next_fire_at"] == "2026-03-02T14:00:00Z"
    got = acme.viewer.get(response.headers["location"])
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'


def test_create_refuses_another_organizations_workflow(
    api: Api, acme: Tenant, rival: Tenant
) -> None:
    problem = rejected(
        api,
        lambda: acme.editor.post(BASE, json=schedule_body(acme, workflow_id=rival.workflow.id)),
        422,
        "workflow_id",
    )
    assert "in this organization" in problem["detail"]


def test_create_refuses_a_duplicate_with_409_naming_the_existing_schedule(
    api: Api, acme: Tenant
) -> None:
    first = create(acme)
    problem = rejected(
        api, lambda: acme.editor.post(BASE, json=schedule_body(acme, name="again")), 409
    )
    assert problem["existing_id"] == first["id"]


def test_create_refuses_past_the_quota_with_409(api: Api) -> None:
    small = api.tenant(max_schedules=1)
    create(small)
    problem = rejected(
        api,
        lambda: small.editor.post(BASE, json=schedule_body(small, name="more", cron="5 * * * *")),
        409,
    )
    assert problem["quota"] == "max_schedules"


def test_get_of_a_missing_or_foreign_schedule_is_404(api: Api, acme: Tenant, rival: Tenant) -> None:
    mine = create(acme)
    problem_of(rival.admin.get(f"{BASE}/{mine['id']}"), 404)
    problem_of(acme.viewer.get(f"{BASE}/999999"), 404)
    problem_of(acme.viewer.get(f"{BASE}/0"), 400)


def test_list_filters_and_pages_with_a_cursor(api: Api, acme: Tenant, rival: Tenant) -> None:
    other = api.service.workflows.create(
        acme.org.id, name="other", definition={"steps": [{"name": "a", "kind": "http"}]}
    )
    ids = [create(acme, name=f"job {n}", cron=f"{n} * * * *")["id"] for n in range(5)]
    create(acme, name="special", workflow_id=other.id)
    create(rival, name="job rival")
    seen: list[object] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "name_contains": "JOB"}
        if cursor:
            params["cursor"] = cursor
        page = acme.viewer.get(BASE, params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    by_workflow = acme.viewer.get(BASE, params={"workflow_id": other.id}).json()
    assert [item["name"] for item in by_workflow["items"]] == ["special"]
    problem_of(acme.viewer.get(BASE, params={"limit": 501}), 400)
    problem_of(acme.viewer.get(BASE, params={"cursor": "bm90LWEtY3Vyc29y"}), 400)


def test_patch_needs_if_match_and_refuses_a_stale_one(api: Api, acme: Tenant) -> None:
    schedule = create(acme)
    url = f"{BASE}/{schedule['id']}"
    rejected(api, lambda: acme.editor.patch(url, json={"cron": "0 4 * * *"}), 428, "If-Match")
    changed = acme.editor.patch(url, json={"cron": "0 4 * * *"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["cron"] == "0 4 * * *"
    # A second editor still holding version 1 cannot overwrite the first one's change.
    problem = rejected(
        api,
        lambda: acme.editor.patch(url, json={"cron": "0 5 * * *"}, headers={"If-Match": '"1"'}),
        412,
        "If-Match",
    )
    assert problem["current_version"] == 2
    rejected(
        api,
        lambda: acme.editor.patch(url, json={"cron": "0 5 * * *"}, headers={"If-Match": "v2"}),
        400,
        "If-Match",
    )


def test_patch_validates_before_writing(api: Api, acme: Tenant) -> None:
    schedule = create(acme)
    url = f"{BASE}/{schedule['id']}"
    etag = {"If-Match": '"1"'}
    rejected(api, lambda: acme.editor.patch(url, json={"cron": "0 25 * * *"}, headers=etag), 422)
    rejected(
        api,
        lambda: acme.editor.patch(url, json={"timezone": "Mars/Olympus"}, headers=etag),
        422,
        "timezone",
    )
    rejected(api, lambda: acme.editor.patch(url, json={"name": None}, headers=etag), 400)
    rejected(api, lambda: acme.editor.patch(url, json={"hash_key": "x"}, headers=etag), 400)
    cleared = acme.editor.patch(
        url, json={"end_at": "2027-01-01T00:00:00Z", "paused": True}, headers=etag
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["next_fire_at"] is None
    reopened = acme.editor.patch(url, json={"end_at": None}, headers={"If-Match": '"2"'})
    assert reopened.json()["end_at"] is None


def test_delete_then_everything_about_it_is_404(api: Api, acme: Tenant, rival: Tenant) -> None:
    schedule = create(acme)
    url = f"{BASE}/{schedule['id']}"
    problem_of(rival.admin.delete(url), 404)
    assert acme.editor.delete(url).status_code == 204
    problem_of(acme.viewer.get(url), 404)
    problem_of(acme.editor.delete(url), 404)
    # The audit trail survives the schedule.
    kinds = [event["kind"] for event in acme.viewer.get(f"{url}/events").json()]
    assert kinds == ["created", "deleted"]


def test_pause_and_resume(api: Api, acme: Tenant) -> None:
    schedule = create(acme)
    url = f"{BASE}/{schedule['id']}"
    paused = acme.editor.post(f"{url}/pause")
    assert paused.status_code == 200
    assert (paused.json()["paused"], paused.json()["next_fire_at"]) == (True, None)
    assert acme.editor.post(f"{url}/pause").json()["version"] == 2  # a no-op writes nothing
    rejected(api, lambda: acme.editor.post(f"{url}/resume", headers={"If-Match": '"1"'}), 412)
    api.clock.advance(timedelta(days=2))
    resumed = acme.editor.post(f"{url}/resume", headers={"If-Match": '"2"'})
    assert resumed.json()["paused"] is False
    # Resuming fires from the next slot after now, never the ones missed while paused.
    assert resumed.json()["next_fire_at"] == "2026-03-05T03:00:00Z"
    problem_of(acme.editor.post(f"{BASE}/999999/pause"), 404)


def test_versions_diff_and_rollback(api: Api, acme: Tenant) -> None:
    schedule = create(acme)
    url = f"{BASE}/{schedule['id']}"
    acme.editor.patch(
        url, json={"cron": "*/15 * * * *", "jitter_seconds": 30}, headers={"If-Match": '"1"'}
    )
    versions = acme.viewer.get(f"{url}/versions").json()
    assert [(v["version"], v["spec"]["cron"]) for v in versions] == [
        (1, "0 3 * * *"),
        (2, "*/15 * * * *"),
    ]
    assert versions[1]["author"] == f"api-key:{acme.tokens['editor'].split('_')[1]}"
    one = acme.viewer.get(f"{url}/versions/1").json()
    assert one == versions[0]
    problem_of(acme.viewer.get(f"{url}/versions/9"), 404)
    diff = acme.viewer.get(f"{url}/diff", params={"from": 1, "to": 2}).json()
    assert diff["changes"] == [
        {"field": "cron", "old": "0 3 * * *", "new": "*/15 * * * *"},
        {"field": "jitter_seconds", "old": 0.0, "new": 30.0},
    ]
    problem_of(acme.viewer.get(f"{url}/diff", params={"from": 1, "to": 7}), 404)
    problem_of(acme.viewer.get(f"{url}/diff", params={"from": 1}), 400)
    rolled = acme.editor.post(f"{url}/rollback", json={"version": 1})
    assert rolled.status_code == 200
    assert (rolled.json()["version"], rolled.json()["cron"]) == (3, "0 3 * * *")
    assert rolled.headers["etag"] == '"3"'
    rejected(api, lambda: acme.editor.post(f"{url}/rollback", json={"version": 9}), 404)
    rejected(api, lambda: acme.editor.post(f"{url}/rollback", json={}), 400, "version")
    events = [event["kind"] for event in acme.viewer.get(f"{url}/events").json()]
    assert events == ["created", "edited", "rolled_back"]


def test_preview_lists_next_fire_times_in_the_zone_with_dst_marks(api: Api, acme: Tenant) -> None:
    # Europe/Berlin springs forward on 2026-03-29: 02:00+01:00 becomes 03:00+02:00.
    schedule = create(acme, cron="30 2 * * *", timezone="Europe/Berlin")
    api.clock.advance(timedelta(days=26))  # 2026-03-28 09:30 UTC
    preview = acme.viewer.get(f"{BASE}/{schedule['id']}/next", params={"count": 2}).json()
    assert preview["timezone"] == "Europe/Berlin"
    assert [(f["local"], f["dst"]) for f in preview["fires"]] == [
        ("2026-03-29T03:00:00+02:00", "shifted"),
        ("2026-03-30T02:30:00+02:00", None),
    ]
    problem_of(acme.viewer.get(f"{BASE}/{schedule['id']}/next", params={"count": 0}), 400)


def test_history_lists_the_schedules_runs_newest_first(api: Api, acme: Tenant) -> None:
    schedule = create(acme)
    sid = domain.ScheduleId(int(str(schedule["id"])))
    made = [
        api.container.service.runs.get(acme.org.id, run_id)
        for run_id in _add_runs(api, acme, sid, 3)
    ]
    history = acme.viewer.get(f"{BASE}/{sid}/runs", params={"limit": 2}).json()
    assert [run["id"] for run in history["items"]] == [made[2].id, made[1].id]
    rest = acme.viewer.get(
        f"{BASE}/{sid}/runs", params={"limit": 2, "cursor": history["next_cursor"]}
    ).json()
    assert [run["id"] for run in rest["items"]] == [made[0].id]
    failed = acme.viewer.get(f"{BASE}/{sid}/runs", params={"state": "failed"}).json()
    assert failed["items"] == []
    problem_of(acme.viewer.get(f"{BASE}/{sid}/runs", params={"state": "bogus"}), 400)
    problem_of(
        acme.viewer.get(
            f"{BASE}/{sid}/runs",
            params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        ),
        422,
    )
    problem_of(acme.viewer.get(f"{BASE}/{sid}/runs", params={"since": "2026-03-02T00:00"}), 400)


def _add_runs(
    api: Api, tenant: Tenant, schedule_id: domain.ScheduleId, count: int
) -> list[domain.RunId]:
    store = api.container.service.schedules._store  # the server's own store
    ids = []
    for n in range(count):
        at = api.clock.now() - timedelta(hours=count - n)
        run = add_run(
            store,
            domain.NewRun(
                org_id=tenant.org.id,
                workflow_id=tenant.workflow.id,
                schedule_id=schedule_id,
                schedule_version_id=None,
                trigger=domain.Trigger.SCHEDULE,
                scheduled_for=at,
                available_at=at,
                max_attempts=3,
                created_at=at,
            ),
        )
        assert run is not None
        ids.append(run.id)
    return ids


def test_errors_name_each_field_at_fault(api: Api, acme: Tenant) -> None:
    problem = rejected(
        api,
        lambda: acme.editor.post(
            BASE,
            json=schedule_body(acme, name="x" * 201, max_attempts=0, surprise=True),
        ),
        400,
    )
    assert set(fields_of(problem)) == {"name", "max_attempts", "surprise"}
    assert "surprise: is not a known field" in problem["detail"]
