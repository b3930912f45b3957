"""Convert a celery beat schedule (``app.conf.beat_schedule``) into an ``apply`` document.

Each entry becomes a workflow with one ``celery`` step (its task, args, kwargs and routing
options) and a schedule of the same name. What cron cannot say exactly is refused with the
entry's name and the reason, never approximated:

- ``crontab()`` maps field by field, except when both ``day_of_month`` and ``day_of_week`` are
  restricted: Celery requires both to match, cron (Vixie) either one.
- A ``timedelta`` or a number of seconds (or ``schedule(run_every=...)``) must divide a minute,
  an hour or a day evenly (``10s``, ``15m``, ``6h``, ``1d``); it then fires on the wall clock's
  multiples (:00, :15, ...) instead of counting from the time beat started.
- ``solar()`` and other schedule classes are refused.

Celery is not imported: entries are read by their attributes, so this works on any version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cronwright import errors

_OPTIONS = ("queue", "exchange", "routing_key", "priority", "countdown", "expires")


@dataclass(frozen=True, slots=True)
class Refused:
    entry: str
    reason: str


class BeatConversionError(errors.CronwrightError, ValueError):
    def __init__(self, refused: list[Refused]) -> None:
        lines = "; ".join(f"{item.entry}: {item.reason}" for item in refused)
        super().__init__(f"cannot convert {len(refused)} beat entr(y/ies): {lines}")
        self.refused = refused


def beat_to_apply(
    beat_schedule: Mapping[str, Mapping[str, Any]],
    *,
    organization: str,
    broker_url: str,
    backend_url: str | None = None,
    timezone: str = "UTC",
) -> dict[str, Any]:
    """An ``apply`` document (a dict to dump as YAML) for ``beat_schedule``; ``timezone`` is
    beat's (``app.conf.timezone``). ``BeatConversionError`` lists every entry refused."""
    workflows: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    refused: list[Refused] = []
    for name, entry in beat_schedule.items():
        try:
            cron = to_cron(entry.get("schedule"))
            step = _step(entry, broker_url, backend_url)
        except ValueError as exc:
            refused.append(Refused(name, str(exc)))
            continue
        workflows.append({"name": name, "steps": [step]})
        schedules.append(
            {
                "name": name,
                "workflow": name,
                "cron": cron,
                "timezone": timezone,
                # Beat sends the latest missed run at most once, and never two at a time.
                "catchup": "latest",
                "overlap": "allow",
            }
        )
    if refused:
        raise BeatConversionError(refused)
    return {"organization": organization, "workflows": workflows, "schedules": schedules}


def to_cron(schedule: object) -> str:
    """The cron expression for a beat entry's ``schedule``; ``ValueError`` saying why not."""
    if hasattr(schedule, "_orig_minute"):  # celery.schedules.crontab
        fields = [
            str(getattr(schedule, f"_orig_{name}"))
            for name in ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        ]
        if _restricted(fields[2]) and _restricted(fields[4]):
            raise ValueError(
                f"crontab(day_of_month={fields[2]!r}, day_of_week={fields[4]!r}) needs both to "
                "match, cron either one: split it into two entries or write the cron by hand"
            )
        return " ".join(" ".join(field.split()) for field in fields)
    if hasattr(schedule, "lat") or type(schedule).__name__ == "solar":
        raise ValueError("solar() schedules have no cron equivalent")
    every = getattr(schedule, "run_every", schedule)  # schedule(run_every=...) or the interval
    if isinstance(every, int | float) and not isinstance(every, bool):
        every = timedelta(seconds=every)
    if not isinstance(every, timedelta):
        raise ValueError(f"{type(schedule).__name__} is not a crontab or an interval")
    return _interval(every)


def _interval(every: timedelta) -> str:
    seconds = every.total_seconds()
    if seconds <= 0 or seconds != int(seconds):
        raise ValueError(f"an interval of {seconds:g} s is not a whole positive number of seconds")
    n = int(seconds)
    if n < 60 and 60 % n == 0:
        return "* * * * * *" if n == 1 else f"*/{n} * * * * *"
    if n % 60 == 0 and n < 3600 and 60 % (n // 60) == 0:
        minutes = n // 60
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if n % 3600 == 0 and n < 86400 and 24 % (n // 3600) == 0:
        hours = n // 3600
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    if n == 86400:
        return "0 0 * * *"
    raise ValueError(
        f"every {every} does not divide a minute, an hour or a day evenly; cron fires on the "
        "clock's multiples, so pick such an interval or write the cron by hand"
    )


def _restricted(field: str) -> bool:
    return not field.strip().startswith(("*", "?"))


def _step(entry: Mapping[str, Any], broker_url: str, backend_url: str | None) -> dict[str, Any]:
    task = entry.get("task")
    if not isinstance(task, str) or not task:
        raise ValueError("has no task name")
    options = dict(entry.get("options") or {})
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"option {unknown[0]!r} is not supported by the celery step kind")
    config: dict[str, Any] = {"task": task, "broker_url": broker_url}
    if backend_url:
        config["backend_url"] = backend_url
    args, kwargs = list(entry.get("args") or ()), dict(entry.get("kwargs") or {})
    if args:
        config["args"] = args
    if kwargs:
        config["kwargs"] = kwargs
    config.update(options)
    return {"name": "send", "kind": "celery", "config": config}
