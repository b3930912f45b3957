"""The ``shell`` action kind: run a program from an argv list (never a shell string).

Off unless the operator enables it, twice: on the worker hosts (``CRONWRIGHT_SHELL_ACTIONS``)
and for each organization (``CRONWRIGHT_SHELL_ORGANIZATIONS``, :class:`ShellGate`), because a
shell step runs any program as the worker's user: it can read what that user can read (the
SQLite file, configuration files) and reach what the host can reach, whatever the outbound
policy says. See docs/security.md.

The program gets a minimal environment (:data:`MINIMAL_ENV`: ``PATH``, ``LANG``, ``HOME``) with
the step's ``env`` over it, never the worker's own (which holds its database and SMTP
passwords); :func:`hide_process_environment` also keeps it from reading the worker's through
``/proc``. A non-zero exit fails the step; stdout and stderr are captured through temporary
files (no pipe can fill and block the program) and cut to the cap. When the step's time is up or
the run is cancelled, the program's whole process group is killed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import pydantic
from pydantic_core import PydanticCustomError

from cronwright import domain
from cronwright.actions import caps
from cronwright.actions.base import StepContext, StepOutcome
from cronwright.actions.registry import ActionRegistry

log = logging.getLogger(__name__)

KIND = "shell"
DISABLED = "shell steps are disabled by the operator (CRONWRIGHT_SHELL_ACTIONS)"
NOT_FOR_ORGANIZATION = (
    "shell steps are not enabled for this organization (the operator lists the organizations "
    "that may use them in CRONWRIGHT_SHELL_ORGANIZATIONS)"
)
MINIMAL_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
_PR_SET_DUMPABLE = 4


@dataclass(frozen=True, slots=True)
class ShellGate:
    """The organizations that may run shell steps: ids or names, ``*`` for all of them."""

    entries: frozenset[str]
    name_of: Callable[[domain.OrganizationId], str] | None = None  # for entries that are names

    @classmethod
    def parse(
        cls, text: str, name_of: Callable[[domain.OrganizationId], str] | None = None
    ) -> ShellGate:
        return cls(frozenset(part.strip() for part in text.split(",") if part.strip()), name_of)

    def with_names(self, name_of: Callable[[domain.OrganizationId], str]) -> ShellGate:
        return ShellGate(self.entries, name_of)

    @property
    def is_empty(self) -> bool:
        return not self.entries

    def allows(self, org_id: domain.OrganizationId | None) -> bool:
        if "*" in self.entries:
            return True
        if org_id is None:
            return False
        if str(org_id) in self.entries:
            return True
        names = self.entries - {entry for entry in self.entries if entry.isdigit()}
        return bool(names) and self.name_of is not None and self.name_of(org_id) in names


def hide_process_environment() -> bool:
    """Make this process non-dumpable (Linux): its ``/proc/<pid>/environ`` and memory become
    unreadable to other processes of the same user, such as the programs of shell steps. Also
    turns off core dumps. False where it cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


MAX_TIMEOUT_SECONDS = 24 * 3600.0
_KILL_GRACE_SECONDS = 5.0


class ShellConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    argv: list[str] = pydantic.Field(min_length=1, max_length=1000)
    cwd: str | None = None
    env: dict[str, str] = pydantic.Field(default_factory=dict, repr=False)
    timeout: float | None = pydantic.Field(default=None, gt=0, le=MAX_TIMEOUT_SECONDS)

    @pydantic.field_validator("argv", mode="before")
    @classmethod
    def _not_a_command_line(cls, argv: Any) -> Any:
        if isinstance(argv, str):
            raise ValueError('must be a list of arguments (["ls", "-l"]): no shell parses a string')
        return argv

    @pydantic.field_validator("argv")
    @classmethod
    def _program(cls, argv: list[str]) -> list[str]:
        if not argv[0].strip():
            raise ValueError("the program (argv[0]) is empty")
        if any("\0" in part for part in argv):
            raise ValueError("arguments cannot hold NUL characters")
        return argv

    @pydantic.field_validator("env")
    @classmethod
    def _names(cls, env: dict[str, str]) -> dict[str, str]:
        for name, value in env.items():
            if not name or "=" in name or "\0" in name or "\0" in value:
                raise ValueError(f"{name!r} is not a usable environment variable")
        return env


class DisabledShellConfig(pydantic.BaseModel):
    """What ``shell`` validates against when the operator left it off: nothing passes."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _refuse(cls, data: Any) -> Any:
        raise PydanticCustomError("shell_disabled", DISABLED)


@dataclass(frozen=True, slots=True)
class ShellAction:
    config: ShellConfig
    gate: ShellGate | None = None  # None: every organization of this process may

    def run(self, ctx: StepContext) -> StepOutcome:
        config = self.config
        if self.gate is not None and not self.gate.allows(ctx.org_id):
            return StepOutcome.failure(NOT_FOR_ORGANIZATION)
        timeout = ctx.timeout.total_seconds()
        if config.timeout is not None:
            timeout = min(timeout, config.timeout)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                process = subprocess.Popen(
                    config.argv,
                    cwd=config.cwd,
                    env={**MINIMAL_ENV, **config.env},
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,  # its own process group, killed as a whole
                )
            except OSError as exc:
                return StepOutcome.failure(f"could not start {config.argv[0]!r}: {exc.strerror}")
            ended = _wait(process, ctx.stop, timeout)
            stdout, stderr = _read(out), _read(err)
        if ended == "stopped":
            return StepOutcome.failure(f"stopped; {config.argv[0]!r} was killed")
        if ended == "timed out":
            return StepOutcome.failure(f"{config.argv[0]!r} did not end in {timeout:g} s; killed")
        output: domain.JsonObject = {
            "exit_code": process.returncode,
            "stdout": stdout,
            "stderr": stderr,
        }
        if process.returncode != 0:
            tail = stderr[-1024:] if stderr else ""
            return StepOutcome.failure(
                f"{config.argv[0]!r} exited with {process.returncode}: {tail}"
            )
        return StepOutcome.success(output)


def install(registry: ActionRegistry, *, allow: bool, gate: ShellGate | None = None) -> None:
    """``shell`` runs when ``allow``, for the organizations ``gate`` lets through (None: all)."""
    if allow:
        registry.register(KIND, ShellConfig, lambda config: ShellAction(config, gate))
    else:
        registry.register(KIND, DisabledShellConfig, _never, runnable=False)


def _never(config: DisabledShellConfig) -> ShellAction:
    raise AssertionError("a disabled shell config never validates")


def _wait(process: subprocess.Popen[bytes], stop: threading.Event, timeout: float) -> str:
    """``"exited"``, ``"timed out"`` or ``"stopped"`` (then the process group is killed)."""
    ended = threading.Event()

    def watch() -> None:  # kill the program as soon as the step must stop
        while not ended.is_set():
            if stop.wait(0.05):
                _kill(process)
                return

    watcher = threading.Thread(target=watch, name="cronwright-shell-stop", daemon=True)
    watcher.start()
    try:
        process.wait(timeout)
        result = "exited"
    except subprocess.TimeoutExpired:
        _kill(process)
        result = "timed out"
    finally:
        ended.set()
        watcher.join()
    if result == "exited" and stop.is_set() and process.returncode < 0:
        return "stopped"
    return result


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone
        return
    process.wait(_KILL_GRACE_SECONDS)


def _read(file: IO[bytes]) -> str:
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    return caps.capped_text(file.read(caps.MAX_TEXT_BYTES + 1), total=size)
