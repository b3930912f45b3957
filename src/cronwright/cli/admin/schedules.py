"""``cronwright schedules``: list, show, pause, resume, trigger and backfill schedules."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from cronwright import domain, errors
from cronwright.cli import progress
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    Json,
    OrgOrKey,
    Url,
    author,
    emit_json,
    fail,
    field_text,
    print_table,
    say,
    when,
)
from cronwright.cli.admin.contract import Admin
from cronwright.cli.admin.target import opened
from cronwright.service import triggers

app = typer.Typer(name="schedules", help="Inspect and operate schedules.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Schedule id or exact name.", show_default=False)]


def find(admin: Admin, ref: str) -> domain.Schedule:
    """By id for a number, else by exact name (which must be unambiguous)."""
    if ref.isdigit():
        return admin.schedule(domain.ScheduleId(int(ref)))
    named: list[domain.Schedule] = []
    cursor: str | None = None
    while True:  # every page: names contain one another ("sync" is in "sync-eu")
        page = admin.schedules(
            domain.ScheduleFilter(name_contains=ref), cursor=cursor, limit=domain.MAX_PAGE_SIZE
        )
        named += [s for s in page.items if s.spec.name == ref]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if not named:
        org = "" if admin.organization is None else f" in organization {admin.organization.name!r}"
        raise errors.CronwrightError(f"no schedule named {ref!r}{org}")
    if len(named) > 1:
        ids = ", ".join(str(s.id) for s in named)
        fail(f"several schedules are named {ref!r} (ids {ids}); give the id")
    return named[0]


def schedule_json(schedule: domain.Schedule, workflow: str) -> dict[str, object]:
    spec = {f.name: getattr(schedule.spec, f.name) for f in dataclasses.fields(schedule.spec)}
    return {
        "id": schedule.id,
        **spec,
        "workflow": workflow,
        "next_fire_at": schedule.next_fire_at,
        "version": schedule.version,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
    }


class _WorkflowNames:
    def __init__(self, admin: Admin) -> None:
        self._admin, self._names = admin, dict[domain.WorkflowId, str]()

    def __call__(self, workflow_id: domain.WorkflowId) -> str:
        if workflow_id not in self._names:
            found = self._admin.workflow_name(workflow_id)
            self._names[workflow_id] = f"#{workflow_id}" if found is None else found
        return self._names[workflow_id]


@app.command("list")
def list_(
    invoked: typer.Context,
    org: OrgOrKey = None,
    name: Annotated[str | None, typer.Option("--name", help="Name contains (any case).")] = None,
    paused: Annotated[
        bool | None, typer.Option("--paused/--active", help="Only paused / only active.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=domain.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="From a previous page.")] = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """List an organization's schedules, oldest first, a page at a time."""
    with opened(invoked, url, org) as admin:
        page = admin.schedules(
            domain.ScheduleFilter(paused=paused, name_contains=name), cursor=cursor, limit=limit
        )
        workflow = _WorkflowNames(admin)
        names = {s.id: workflow(s.spec.workflow_id) for s in page.items}
    if as_json:
        emit_json(
            {
                "items": [schedule_json(s, names[s.id]) for s in page.items],
                "next_cursor": page.next_cursor,
            }
        )
        return
    print_table(
        ("id", "name", "workflow", "cron", "timezone", "state", "next fire (UTC)", "v"),
        [
            [
                str(s.id),
                s.spec.name,
                names[s.id],
                s.spec.cron,
                s.spec.timezone,
                "paused" if s.spec.paused else "active",
                when(s.next_fire_at),
                str(s.version),
            ]
            for s in page.items
        ],
    )
    if page.next_cursor:
        say(f"more: --cursor {page.next_cursor}")


@app.command("show")
def show(
    invoked: typer.Context,
    schedule: Ref,
    org: OrgOrKey = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=100)] = 5,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """One schedule: its settings, next fire times and audit trail."""
    with opened(invoked, url, org) as admin:
        item = find(admin, schedule)
        workflow = _WorkflowNames(admin)(item.spec.workflow_id)
        preview = admin.preview(item.id, count=count)
        events = admin.events(item.id)
    if as_json:
        emit_json(
            {
                **schedule_json(item, workflow),
                "description": preview.description,
                "next_fires": [dataclasses.asdict(fire) for fire in preview.fires],
                "events": [dataclasses.asdict(event) for event in events],
            }
        )
        return
    rows = [["id", str(item.id)], ["workflow", workflow], ["description", preview.description]]
    rows += [
        [f.name, field_text(getattr(item.spec, f.name), zone_mark=" UTC")]
        for f in dataclasses.fields(item.spec)
        if f.name != "workflow_id"
    ]
    rows += [["next fire (UTC)", when(item.next_fire_at)], ["version", str(item.version)]]
    print_table(("field", "value"), rows, title=f'schedule "{item.spec.name}"')
    print_table(
        ("next fires (UTC)", f"local ({preview.timezone})", "DST"),
        [
            [when(f.at), f.local.strftime("%Y-%m-%d %H:%M:%S %Z"), f.dst or ""]
            for f in preview.fires
        ],
    )
    print_table(
        ("event", "version", "author", "at (UTC)"),
        [[e.kind.value, str(e.version), e.author, when(e.created_at)] for e in events[-10:]],
    )


@app.command("pause")
def pause(
    invoked: typer.Context,
    schedule: Ref,
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Stop a schedule firing until it is resumed."""
    _toggle(invoked, schedule, org, url, as_json, pause=True)


@app.command("resume")
def resume(
    invoked: typer.Context,
    schedule: Ref,
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Fire again, from the next slot after now (missed slots follow the catch-up policy)."""
    _toggle(invoked, schedule, org, url, as_json, pause=False)


def _toggle(
    invoked: typer.Context, schedule: str, org: str | None, url: str, as_json: bool, *, pause: bool
) -> None:
    with opened(invoked, url, org) as admin:
        item = find(admin, schedule)
        act = admin.pause if pause else admin.resume
        changed = act(item.id, author=author())
        workflow = _WorkflowNames(admin)(changed.spec.workflow_id)
    if as_json:
        emit_json(schedule_json(changed, workflow))
        return
    verb = "paused" if pause else "resumed"
    same = changed.version == item.version
    say(f'schedule "{changed.spec.name}" {"was already " if same else ""}{verb}')
    if changed.next_fire_at is not None:
        say(f"next fire: {when(changed.next_fire_at)} UTC")


@app.command("trigger")
def trigger(
    invoked: typer.Context,
    schedule: Ref,
    org: OrgOrKey = None,
    input_json: Annotated[
        str | None, typer.Option("--input", help="JSON object merged over the schedule's input.")
    ] = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Run a schedule's workflow now (also while paused), as a manual run."""
    extra = _json_object(input_json)
    with opened(invoked, url, org) as admin:
        item = find(admin, schedule)
        run = admin.trigger(item.id, extra)
    if as_json:
        emit_json(dataclasses.asdict(run))
    else:
        say(f'run {run.id} of schedule "{item.spec.name}" is {run.state.value}')


@app.command("backfill")
def backfill(
    invoked: typer.Context,
    schedule: Ref,
    since: Annotated[str, typer.Option("--since", help="ISO-8601 start, inclusive.")],
    until: Annotated[str, typer.Option("--until", help="ISO-8601 end, exclusive; not future.")],
    org: OrgOrKey = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would run.")] = False,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Run the slots of a past range that have no run yet (each slot runs at most once)."""
    start, end = _instant("--since", since), _instant("--until", until)
    with opened(invoked, url, org) as admin:
        item = find(admin, schedule)
        with _busy(f'backfilling "{item.spec.name}"', enabled=progress.wanted(as_json=as_json)):
            done = admin.backfill(item.id, since=start, until=end, dry_run=dry_run)
    if as_json:
        emit_json(dataclasses.asdict(done))
        return
    print_table(
        ("slot (UTC)", "outcome", "state", "run", "reason"),
        [
            [
                when(slot.scheduled_for),
                slot.outcome.value,
                slot.state.value if slot.state else "",
                str(slot.run_id or ""),
                slot.reason or "",
            ]
            for slot in done.slots
        ],
    )
    counts = [f"{done.count(o)} {o.value}" for o in triggers.BackfillOutcome if done.count(o)]
    say(("dry run: " if dry_run else "") + (", ".join(counts) or "no slots in the range"))


@contextmanager
def _busy(text: str, *, enabled: bool) -> Iterator[None]:
    """A spinner on a terminal while one long call runs."""
    if not enabled:
        yield
        return
    with Console(stderr=True).status(text):
        yield


def _instant(flag: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{flag}: {text!r} is not an ISO-8601 date and time", 2)
    if moment.utcoffset() is None:
        fail(f"{flag}: give a UTC offset, e.g. {text}Z or {text}+01:00", 2)
    return moment


def _json_object(text: str | None) -> dict[str, domain.JsonValue]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"--input: not JSON: {exc.msg}", 2)
    if not isinstance(value, dict):
        fail("--input: must be a JSON object", 2)
    return value
