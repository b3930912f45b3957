"""``cronwright runs``: run history, the steps of one run, retrying and cancelling runs."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from cronwright import domain
from cronwright.cli.admin.common import (
    DEFAULT_URL,
    Json,
    OrgOrKey,
    Url,
    author,
    emit_json,
    field_text,
    print_table,
    say,
    when,
)
from cronwright.cli.admin.schedules import find
from cronwright.cli.admin.target import opened

app = typer.Typer(name="runs", help="Inspect, retry and cancel runs.", no_args_is_help=True)

RunRef = Annotated[int, typer.Argument(help="The run's id.")]


@app.command("list")
def list_(
    invoked: typer.Context,
    org: OrgOrKey = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Only this schedule's (id or name).")
    ] = None,
    state: Annotated[
        list[domain.RunState] | None, typer.Option("--state", help="Only these states.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=domain.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="From a previous page.")] = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """List runs, newest first."""
    with opened(invoked, url, org) as admin:
        where = domain.RunFilter(
            schedule_id=find(admin, schedule).id if schedule else None,
            states=frozenset(state) if state else None,
        )
        page = admin.runs(where, cursor=cursor, limit=limit)
    if as_json:
        emit_json(
            {
                "items": [dataclasses.asdict(run) for run in page.items],
                "next_cursor": page.next_cursor,
            }
        )
        return
    print_table(
        ("id", "schedule", "trigger", "slot (UTC)", "state", "attempt", "finished", "reason"),
        [
            [
                str(run.id),
                str(run.schedule_id or ""),
                run.trigger.value,
                when(run.scheduled_for),
                run.state.value,
                f"{run.attempt}/{run.max_attempts}",
                when(run.finished_at),
                run.reason or run.error or "",
            ]
            for run in page.items
        ],
    )
    if page.next_cursor:
        say(f"more: --cursor {page.next_cursor}")


@app.command("show")
def show(
    invoked: typer.Context,
    run_id: RunRef,
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """One run and its steps."""
    with opened(invoked, url, org) as admin:
        run, steps = admin.run(domain.RunId(run_id))
    if as_json:
        emit_json({**dataclasses.asdict(run), "steps": [dataclasses.asdict(s) for s in steps]})
        return
    rows = [
        [f.name, field_text(getattr(run, f.name))]
        for f in dataclasses.fields(run)
        if getattr(run, f.name) not in (None, {}, "")
    ]
    print_table(("field", "value"), rows, title=f"run {run.id}")
    print_table(
        ("step", "kind", "attempt", "state", "started (UTC)", "finished", "error"),
        [
            [
                s.name,
                s.kind,
                str(s.attempt),
                s.state.value,
                when(s.started_at),
                when(s.finished_at),
                s.error or "",
            ]
            for s in steps
        ],
    )


@app.command("retry")
def retry(
    invoked: typer.Context,
    run_id: RunRef,
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Run a failed, timed out or cancelled run again, as a new run."""
    with opened(invoked, url, org) as admin:
        made = admin.retry(domain.RunId(run_id))
    _changed(made, f"run {made.id} retries run {run_id}", as_json=as_json)


@app.command("cancel")
def cancel(
    invoked: typer.Context,
    run_id: RunRef,
    org: OrgOrKey = None,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Cancel a pending or running run (a running one stops at its next heartbeat)."""
    with opened(invoked, url, org) as admin:
        cancelled = admin.cancel(domain.RunId(run_id), author=author())
    _changed(cancelled, f"run {cancelled.id} cancelled", as_json=as_json)


def _changed(run: domain.Run, text: str, *, as_json: bool) -> None:
    if as_json:
        emit_json(dataclasses.asdict(run))
    else:
        say(f"{text}; it is {run.state.value}")
