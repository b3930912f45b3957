"""Server-rendered SVG charts: geometry computed here, drawn by the ``chart`` macro.

Charts work without scripts and under the strict CSP (presentation attributes and classes, no
inline styles). Each one carries a text alternative: an ``aria-label`` summary, a ``<title>`` on
every mark, and the pages show the same figures as tables or text next to them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cronwright import domain

WIDTH = 720
ROW = 22  # height of one Gantt row or graph node
LEFT = 150  # room for labels left of a Gantt's bars


@dataclass(frozen=True, slots=True, kw_only=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = "axis"


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "grid"


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    width: float
    height: float
    summary: str  # the accessible name of the whole picture
    boxes: list[Box] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    points: str = ""  # a polyline, "x,y x,y ..."
    empty: bool = False


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}min"


def gantt(steps: Sequence[domain.RunStep], *, now: datetime) -> Chart:
    """One bar per step try, from its start to its end (or now, while it runs)."""
    timed = [s for s in steps if s.started_at is not None]
    height = max(1, len(timed)) * ROW + 30
    if not timed:
        return Chart(width=WIDTH, height=height, summary="No step has started.", empty=True)
    start = min(s.started_at for s in timed if s.started_at is not None)
    end = max((s.finished_at or now) for s in timed)
    span = max(_seconds(end - start), 0.001)
    scale = (WIDTH - LEFT - 10) / span
    chart = Chart(
        width=WIDTH,
        height=height,
        summary=f"Timeline of {len(timed)} step tries over {_fmt(span)}",
    )
    for row, step in enumerate(timed):
        assert step.started_at is not None
        finished = step.finished_at or now
        x = LEFT + _seconds(step.started_at - start) * scale
        w = max(2.0, _seconds(finished - step.started_at) * scale)
        y = row * ROW + 4
        took = _fmt(_seconds(finished - step.started_at))
        chart.labels.append(Label(x=LEFT - 6, y=y + 13, text=step.name, anchor="end"))
        chart.boxes.append(
            Box(
                x=x,
                y=y,
                w=w,
                h=ROW - 8,
                css=f"mark-{step.state.value}",
                title=f"{step.name} (try {step.attempt}): {step.state.value}, {took}",
            )
        )
    axis_y = len(timed) * ROW + 20
    chart.lines.append(Line(x1=LEFT, y1=axis_y - 12, x2=WIDTH - 10, y2=axis_y - 12))
    chart.labels.append(Label(x=LEFT, y=axis_y, text="0"))
    chart.labels.append(Label(x=WIDTH - 10, y=axis_y, text=_fmt(span), anchor="end"))
    return chart


def durations(runs: Sequence[domain.Run]) -> Chart:
    """How long each finished run took, oldest left: a line with a dot per run."""
    timed = sorted(
        (r for r in runs if r.started_at is not None and r.finished_at is not None),
        key=lambda r: r.scheduled_for,
    )
    height = 160
    if not timed:
        return Chart(width=WIDTH, height=height, summary="No finished run to chart.", empty=True)
    took = [_seconds(r.finished_at - r.started_at) for r in timed if r.finished_at and r.started_at]
    top = max(max(took), 0.001)
    left, right, bottom, plot = 50, WIDTH - 10, height - 24, height - 40
    step = (right - left) / max(1, len(timed) - 1)
    chart = Chart(
        width=WIDTH,
        height=height,
        summary=f"Durations of the last {len(timed)} finished runs: "
        f"shortest {_fmt(min(took))}, longest {_fmt(top)}",
    )
    points = []
    for index, (run, seconds) in enumerate(zip(timed, took, strict=True)):
        x = left + index * step if len(timed) > 1 else (left + right) / 2
        y = bottom - seconds / top * plot
        points.append(f"{x:.1f},{y:.1f}")
        chart.boxes.append(
            Box(
                x=x - 3,
                y=y - 3,
                w=6,
                h=6,
                css=f"mark-{run.state.value}",
                title=f"run #{run.id} at {run.scheduled_for:%Y-%m-%d %H:%M} UTC: "
                f"{run.state.value}, {_fmt(seconds)}",
                href=f"/runs/{run.id}",
            )
        )
    chart.lines.append(Line(x1=left, y1=bottom, x2=right, y2=bottom))
    chart.lines.append(Line(x1=left, y1=bottom - plot, x2=right, y2=bottom - plot))
    chart.labels.append(Label(x=left - 4, y=bottom - plot + 4, text=_fmt(top), anchor="end"))
    chart.labels.append(Label(x=left - 4, y=bottom + 4, text="0", anchor="end"))
    first, last = timed[0].scheduled_for, timed[-1].scheduled_for
    chart.labels.append(Label(x=left, y=height - 6, text=f"{first:%m-%d %H:%M}"))
    chart.labels.append(Label(x=right, y=height - 6, text=f"{last:%m-%d %H:%M}", anchor="end"))
    return dataclasses.replace(chart, points=" ".join(points))


STACK_ORDER = (
    domain.RunState.SUCCEEDED,
    domain.RunState.FAILED,
    domain.RunState.TIMED_OUT,
    domain.RunState.CANCELLED,
    domain.RunState.RUNNING,
    domain.RunState.PENDING,
)


def hourly(buckets: Sequence[tuple[datetime, dict[domain.RunState, int]]]) -> Chart:
    """Runs per hour, one stacked column per hour, coloured (and titled) by state."""
    height = 180
    left, bottom, plot = 40, height - 24, height - 44
    totals = [sum(counts.values()) for _, counts in buckets]
    top = max([1, *totals])
    width = (WIDTH - left - 10) / max(1, len(buckets))
    chart = Chart(
        width=WIDTH,
        height=height,
        summary=f"Runs per hour over the last {len(buckets)} hours: {sum(totals)} in all, "
        f"at most {max([0, *totals])} in one hour",
    )
    for index, (hour, counts) in enumerate(buckets):
        x, y = left + index * width, float(bottom)
        for state in STACK_ORDER:
            count = counts.get(state, 0)
            if not count:
                continue
            h = count / top * plot
            y -= h
            chart.boxes.append(
                Box(
                    x=x + 1,
                    y=y,
                    w=max(1.0, width - 2),
                    h=h,
                    css=f"mark-{state.value}",
                    title=f"{hour:%H:00} UTC: {count} {state.value}",
                )
            )
        if index % 4 == 0:
            chart.labels.append(Label(x=x, y=height - 6, text=f"{hour:%H:00}"))
    chart.lines.append(Line(x1=left, y1=bottom, x2=WIDTH - 10, y2=bottom))
    chart.labels.append(Label(x=left - 4, y=bottom - plot + 4, text=str(top), anchor="end"))
    chart.labels.append(Label(x=left - 4, y=bottom + 4, text="0", anchor="end"))
    return chart


def step_graph(definition: domain.WorkflowDefinition) -> Chart:
    """Steps as boxes in columns by depth (a step sits right of all it depends on), with an
    edge from each dependency."""
    depth: dict[str, int] = {}
    for step in definition.steps:  # declared order lists dependencies first
        depth[step.name] = 1 + max((depth.get(d, 0) for d in step.depends_on), default=-1)
    columns: dict[int, list[domain.Step]] = {}
    for step in definition.steps:
        columns.setdefault(depth[step.name], []).append(step)
    box_w, box_h, gap_x, gap_y = 150, 36, 50, 16
    rows = max((len(c) for c in columns.values()), default=1)
    width = max(1, len(columns)) * (box_w + gap_x) + 10
    height = rows * (box_h + gap_y) + 10
    chart = Chart(
        width=width,
        height=height,
        summary=f"Step graph: {len(definition.steps)} steps in {len(columns)} stages",
        empty=not definition.steps,
    )
    where: dict[str, tuple[float, float]] = {}
    for col, steps in sorted(columns.items()):
        for row, step in enumerate(steps):
            x, y = 10 + col * (box_w + gap_x), 10 + row * (box_h + gap_y)
            where[step.name] = (x, y)
            after = ", ".join(step.depends_on) or "nothing"
            chart.boxes.append(
                Box(
                    x=x,
                    y=y,
                    w=box_w,
                    h=box_h,
                    css="node",
                    title=f"{step.name} ({step.kind}), after {after}",
                )
            )
            chart.labels.append(Label(x=x + 8, y=y + 15, text=step.name[:20], css="node-name"))
            chart.labels.append(Label(x=x + 8, y=y + 29, text=step.kind, css="node-kind"))
    for step in definition.steps:
        x2, y2 = where[step.name]
        for dependency in step.depends_on:
            if dependency in where:
                x1, y1 = where[dependency]
                chart.lines.append(
                    Line(x1=x1 + box_w, y1=y1 + box_h / 2, x2=x2, y2=y2 + box_h / 2, css="edge")
                )
    return chart
