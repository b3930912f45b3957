"""Progress bars for long commands: on an interactive terminal only, never with ``--json``.

Bars go to stderr, so stdout stays the command's result even when a person watches it run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[int], None]


class Tracker(Protocol):
    def table(self, name: str, total: int) -> Advance:
        """A new bar named ``name`` out of ``total``; call the result with each step's size."""
        ...


class _Quiet:
    def table(self, name: str, total: int) -> Advance:
        return lambda _done: None


class _Bars:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def table(self, name: str, total: int) -> Advance:
        task = self._progress.add_task(name, total=total)
        return lambda done: self._progress.advance(task, done)


def wanted(*, as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty()


@contextmanager
def tracker(*, enabled: bool) -> Iterator[Tracker]:
    if not enabled:
        yield _Quiet()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        yield _Bars(progress)
