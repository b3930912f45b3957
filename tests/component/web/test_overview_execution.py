"""The overview says which queued runs wait for a worker able to execute them and what none
offers, lists the workers with their heartbeat (stale ones marked in words and a glyph), and the
loops of each worker's process."""

from __future__ import annotations

import itertools
from datetime import timedelta

from cronwright import domain
from cronwright.engine import loop
from cronwright.web import health
from tests.component.web.conftest import Site, Tenant
from tests.support.rows import add_run

HTTP_ONLY = domain.Capabilities(kinds=frozenset({"http"}), python_functions=frozenset())
_ids = (f"worker-{n}" for n in itertools.count(1))


def _shell_run(site: Site, tenant: Tenant) -> domain.Workflow:
    """A pending run due now of a workflow with a shell step (written past the API's checks)."""
    definition = domain.parse_definition({"steps": [{"name": "sh", "kind": "shell"}]})
    workflow = site.store.add_workflow(
        org_id=tenant.org.id, name="needs shell", definition=definition, now=site.clock.now()
    )
    now = site.clock.now()
    add_run(
        site.store,
        domain.NewRun(
            org_id=tenant.org.id,
            workflow_id=workflow.id,
            schedule_id=None,
            schedule_version_id=None,
            trigger=domain.Trigger.MANUAL,
            scheduled_for=now,
            available_at=now,
            max_attempts=1,
            created_at=now,
        ),
    )
    return workflow


def test_runs_no_live_worker_can_execute_are_counted_with_what_is_missing(
    site: Site, acme: Tenant
) -> None:
    workflow = _shell_run(site, acme)
    now = site.clock.now()
    queue = site.container.queue
    queue.register_worker(next(_ids), host="h", pid=1, now=now, capabilities=HTTP_ONLY)
    assert queue.explain_waiting(now=now, live_since=now - timedelta(seconds=30)) >= 1
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/").text
    assert 'id="waiting-count">1<' in page
    waiting = page.split('id="waiting"')[1].split("</div>")[0]
    assert "1 run of" in waiting
    assert "step kind &#39;shell&#39;" in waiting
    assert f'href="/ui/runs?workflow={workflow.id}&amp;state=pending"' in waiting


def test_another_organizations_waiting_runs_are_not_counted(
    site: Site, acme: Tenant, rival: Tenant
) -> None:
    _shell_run(site, rival)
    now = site.clock.now()
    queue = site.container.queue
    queue.register_worker(next(_ids), host="h", pid=1, now=now, capabilities=HTTP_ONLY)
    queue.explain_waiting(now=now, live_since=now - timedelta(seconds=30))
    page = site.signed_in(acme.tokens["viewer"]).get("/ui/").text
    assert 'id="waiting-count">0<' in page
    assert "No queued run waits for a capable worker." in page


def test_workers_show_their_heartbeat_and_stale_ones_are_marked(site: Site, acme: Tenant) -> None:
    now = site.clock.now()
    queue = site.container.queue
    live, stale = next(_ids), next(_ids)
    queue.register_worker(live, host="alpha", pid=11, now=now, capabilities=HTTP_ONLY)
    queue.register_worker(stale, host="beta", pid=12, now=now - timedelta(minutes=10))
    report: domain.JsonValue = [
        {"name": "reaper", "state": "failing", "failures": 3, "last_error": "boom"}
    ]
    queue.heartbeat(live, [], now=now, loops=report)
    page = site.signed_in(acme.tokens["admin"]).get("/ui/").text
    table = page.split('id="workers"')[1].split("</table>")[0]
    live_row = table.split(live)[1].split("</tr>")[0]
    stale_row = table.split(stale)[1].split("</tr>")[0]
    assert 'class="state state-live"' in live_row
    assert ">live</span>" in live_row
    assert "reaper failing" in live_row
    assert "3 failures in a row: boom" in live_row
    assert "<td>http</td>" in live_row
    assert 'class="state state-stale"' in stale_row
    assert ">stale</span>" in stale_row
    assert "(10m 00s ago)" in stale_row
    assert "<td>anything</td>" in stale_row


def test_only_admins_see_hosts_and_loop_errors_others_see_counts(site: Site, acme: Tenant) -> None:
    now = site.clock.now()
    queue = site.container.queue
    live, stale = next(_ids), next(_ids)
    queue.register_worker(live, host="alpha-host", pid=4242, now=now)
    queue.register_worker(stale, host="beta-host", pid=4343, now=now - timedelta(minutes=10))
    report: domain.JsonValue = [
        {"name": "reaper", "state": "failing", "failures": 3, "last_error": "secret-ish"}
    ]
    queue.heartbeat(live, [], now=now, loops=report)
    # Other tests of this module registered workers too: count what the registry holds.
    seen = queue.live_workers(since=now - health.SHOWN_FOR)
    live_count = sum(1 for w in seen if now - w.heartbeat_at <= health.STALE_AFTER)
    stale_count = len(seen) - live_count
    for role in ("viewer", "editor"):
        page = site.signed_in(acme.tokens[role]).get("/ui/").text
        for detail in ("alpha-host", "4242", live, "secret-ish"):
            assert detail not in page
        summary = page.split('id="workers-summary">')[1].split("</p>")[0]
        assert summary.startswith(f"{live_count} live worker")
        assert f"{stale_count} stale" in summary
        assert "not ok" in summary
    admin = site.signed_in(acme.tokens["admin"]).get("/ui/").text
    assert "alpha-host" in admin
    assert "secret-ish" in admin
    assert 'id="workers-summary"' not in admin


def test_this_processs_loops_are_read_from_their_health() -> None:
    found = health.own_loops(
        [
            loop.LoopHealth(
                name="scheduler",
                state=loop.LoopState.STALLED,
                last_success_at=None,
                failures=0,
                last_error=None,
            )
        ]
    )
    assert [(row.name, row.state) for row in found] == [("scheduler", "stalled")]
