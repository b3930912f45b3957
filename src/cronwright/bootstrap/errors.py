"""Why a process cannot start (exit code 1), as opposed to a bad setting (exit code 2)."""

from __future__ import annotations

from cronwright import errors

EXIT_OK = 0
EXIT_STARTUP = 1  # the database cannot be reached or migrated, the port is taken...
EXIT_CONFIG = 2  # a setting or flag is invalid


class StartupError(errors.CronwrightError):
    """The process cannot start: the message says why and, when there is one, what to do."""


class ConfigError(errors.CronwrightError):
    """A setting is wrong: the message names the variable or flag."""
