"""``cronwright cron EXPR``: check an expression, say it in English, list its next fire times."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from cronwright import clock, cron
from cronwright.service import validation

# Where "now" comes from when --after is not given; tests put a FakeClock factory here.
make_clock: Callable[[], clock.Clock] = clock.SystemClock

EXIT_NEVER_FIRES = 1
EXIT_INVALID = 2
_SECOND = timedelta(seconds=1)

JsonObject = dict[str, object]


def command(
    expression: Annotated[str, typer.Argument(help="A cron expression; quote it in the shell.")],
    tz: Annotated[
        str, typer.Option("--tz", help="IANA time zone to match and show times in.")
    ] = "UTC",
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=1000, help="How many fire times to list.")
    ] = 10,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            help="ISO-8601 start, exclusive; without an offset it is in --tz. Default: now.",
        ),
    ] = None,
    seconds: Annotated[bool, typer.Option("--seconds", help="Show seconds in times.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
    hash_key: Annotated[
        str | None, typer.Option("--hash-key", help="The key that resolves H fields.")
    ] = None,
) -> None:
    """Validate a cron expression, describe it and list its next fire times.

    Fire times moved by a daylight-saving change are marked.
    Exit status 1: the expression never fires after the start (apply and the API refuse to
    save it); 2: the expression, the zone or --after is invalid.
    """
    zone = _zone(tz, expression, as_json)
    try:
        expr = cron.CronExpression.parse(expression, hash_key=hash_key)
    except cron.CronSyntaxError as exc:
        _syntax_error(exc, as_json)
    start = _start(after, zone, expression, as_json)
    fires = expr.preview(start, zone, count)
    if as_json:
        typer.echo(json.dumps(_report(expr, tz, fires), indent=2))
    else:
        _print_preview(expr, tz, zone, start, fires, seconds)
    if not fires:
        raise typer.Exit(EXIT_NEVER_FIRES)


# -- input ---------------------------------------------------------------------------------------


def _zone(name: str, expression: str, as_json: bool) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        _fail(
            as_json,
            expression,
            field="timezone",
            token=name,
            message=f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin"
            + validation.did_you_mean(name.strip(), validation.zone_names(), folded=True).replace(
                ";", ",", 1
            ),
        )


def _start(after: str | None, zone: tzinfo, expression: str, as_json: bool) -> datetime:
    if after is None:
        return make_clock().now()
    try:
        moment = datetime.fromisoformat(after.strip())
    except ValueError:
        _fail(
            as_json,
            expression,
            field="after",
            token=after,
            message=f"{after!r} is not an ISO-8601 date and time, e.g. 2026-03-29T12:00+01:00",
        )
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


# -- errors --------------------------------------------------------------------------------------


def _fail(as_json: bool, expression: str, *, field: str, token: str, message: str) -> NoReturn:
    """One line on stderr (or the JSON error object on stdout), then exit status 2."""
    if as_json:
        error = {"field": field, "column": None, "token": token, "message": message}
        typer.echo(json.dumps({"expression": expression, "valid": False, "error": error}, indent=2))
    else:
        typer.echo(f"error: {field}: {message}", err=True)
    raise typer.Exit(EXIT_INVALID)


def _syntax_error(exc: cron.CronSyntaxError, as_json: bool) -> NoReturn:
    if as_json:
        error = {
            "field": exc.field,
            "column": exc.column,
            "token": exc.token,
            "message": exc.reason,
        }
        typer.echo(json.dumps({"expression": exc.text, "valid": False, "error": error}, indent=2))
    else:
        text, carets = exc.caret_lines()
        typer.echo(f"  {text}\n  {carets}\nerror: {exc}", err=True)
    raise typer.Exit(EXIT_INVALID)


# -- output --------------------------------------------------------------------------------------


def _report(expr: cron.CronExpression, tz: str, fires: list[cron.FireTime]) -> JsonObject:
    return {
        "expression": expr.text,
        "valid": True,
        "description": expr.describe(),
        "timezone": tz,
        "fire_times": [
            {
                "at": fire.at.astimezone(UTC).isoformat(),
                "local": fire.local.isoformat(),
                "dst": None if fire.mark is None else fire.mark.value,
            }
            for fire in fires
        ],
    }


def _print_preview(
    expr: cron.CronExpression,
    tz: str,
    zone: tzinfo,
    start: datetime,
    fires: list[cron.FireTime],
    seconds: bool,
) -> None:
    console = Console(highlight=False)
    console.print(expr.text.strip(), markup=False)
    console.print(expr.describe(), markup=False, style="bold")
    shown = start.astimezone(zone)
    if not fires:
        console.print(
            f"It never fires after {_stamp(shown, seconds)} in {tz}: "
            "cronwright apply and the API refuse to save it.",
            markup=False,
            soft_wrap=True,
        )
        return
    with_seconds = seconds or any(fire.local.second for fire in fires)
    marked = any(fire.mark is not None for fire in fires)
    console.print(
        f"Next {len(fires)} fire times after {_stamp(shown, with_seconds)} in {tz}:", markup=False
    )
    table = Table(box=box.SIMPLE, pad_edge=False, collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True, min_width=len(str(len(fires))))
    table.add_column("Local", no_wrap=True)
    table.add_column("UTC", no_wrap=True)
    if marked:
        table.add_column("DST")  # the only column that may wrap
    for number, fire in enumerate(fires, start=1):
        row = [str(number), _stamp(fire.local, with_seconds), _utc(fire.at, with_seconds)]
        if marked:
            row.append(_dst_note(expr, fire, zone))
        table.add_row(*row)
    console.print(table)


def _stamp(moment: datetime, seconds: bool) -> str:
    return moment.strftime(f"%a %Y-%m-%d %H:%M{':%S' if seconds else ''} %Z")


def _utc(moment: datetime, seconds: bool) -> str:
    return moment.astimezone(UTC).strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''}")


def _clock_time(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _dst_note(expr: cron.CronExpression, fire: cron.FireTime, zone: tzinfo) -> str:
    if fire.mark is cron.DstMark.SHIFTED:
        missing = _missing_wall_times(expr, fire, zone)
        if not missing:
            return "shifted: its time was skipped by the clock change"
        verb = "does" if len(missing) == 1 else "do"
        return f"shifted: {' and '.join(_clock_time(m) for m in missing)} {verb} not exist"
    return "" if fire.mark is None else fire.mark.value  # first or second occurrence


def _missing_wall_times(
    expr: cron.CronExpression, fire: cron.FireTime, zone: tzinfo, limit: int = 3
) -> list[datetime]:
    """The wall times in the spring-forward gap that the shifted fire ``fire`` stands for.

    The gap is the wall-clock hour(s) between the old and the new offset at the transition;
    matching them against the expression in UTC treats them as plain wall times.
    """
    new_offset = fire.local.utcoffset()
    old_offset = (fire.at - _SECOND).astimezone(zone).utcoffset()
    if new_offset is None or old_offset is None or new_offset <= old_offset:
        return []
    gap_end = fire.local.replace(tzinfo=None)
    gap_start = gap_end - (new_offset - old_offset)
    candidates = expr.preview((gap_start - _SECOND).replace(tzinfo=UTC), UTC, limit)
    return [c.at.replace(tzinfo=None) for c in candidates if c.at.replace(tzinfo=None) < gap_end]
