"""Process configuration: ``CRONWRIGHT_*`` environment variables, overridden by command flags.

Every knob has a default, so ``cronwright serve`` needs none. Durations accept seconds (``30``,
``0.5``), ``30s``/``5m``/``1h30m``/``2d`` or ISO-8601 (``PT30S``). Invalid values are refused at
start by :func:`describe_error` with one line naming the variable:
``CRONWRIGHT_WORKER_CONCURRENCY: must be at least 1, got '0'``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from cronwright import domain, outbound
from cronwright.actions import shell as shell_action
from cronwright.domain import schedule as schedule_defaults

ENV_PREFIX = "CRONWRIGHT_"
DEFAULT_DATABASE_URL = "sqlite:///cronwright.db"
_SECRETS = frozenset({"smtp_password"})  # never echoed back
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SHORT_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def parse_short_duration(value: Any) -> Any:
    """``30s``, ``5m``, ``1h30m``, ``250ms`` to a timedelta; anything else is left to pydantic
    (numbers are seconds, ``PT30S`` is ISO-8601)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if _NUMBER.fullmatch(text):
            return timedelta(seconds=float(text))
        if _SHORT_DURATION.fullmatch(text):
            seconds = sum(
                float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(text)
            )
            return timedelta(seconds=seconds)
    return value


# Optional settings that "off", "none" or an empty value switch off.
_OPTIONAL = (
    "metrics_port",
    "global_max_concurrent_runs",
    "smtp_host",
    "smtp_username",
    "smtp_password",
    "smtp_ca_file",
    "retention_max_age",
    "retention_keep_per_schedule",
    "heap_settle_interval",
)

Duration = Annotated[timedelta, BeforeValidator(parse_short_duration)]
PositiveDuration = Annotated[Duration, Field(gt=timedelta(0))]


class Settings(BaseSettings):
    """Everything a cronwright process can be told; see ``docs/operations.md``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="ignore",  # other CRONWRIGHT_* variables (tests, tools) are not ours to refuse
        validate_default=True,
    )

    # Where the state lives.
    database_url: str = DEFAULT_DATABASE_URL

    # The HTTP API (serve, api).
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # scheduler/worker roles

    # Scheduler.
    tick_interval: PositiveDuration = timedelta(seconds=5)  # longest sleep between ticks
    lookahead: PositiveDuration = timedelta(seconds=10)

    # Workers.
    worker_concurrency: int = Field(default=5, ge=1)
    lease: PositiveDuration = timedelta(seconds=30)
    heartbeat: PositiveDuration = timedelta(seconds=10)
    poll_interval: PositiveDuration = timedelta(seconds=1)
    idle_poll_interval: PositiveDuration = timedelta(seconds=5)
    shutdown_grace: Annotated[Duration, Field(ge=timedelta(0))] = timedelta(seconds=30)
    global_max_concurrent_runs: int | None = Field(default=None, ge=1)
    # Unfreeze, fully collect and freeze the heap this often (engine/heap.py); off: never.
    heap_settle_interval: Annotated[Duration, Field(gt=timedelta(0))] | None = timedelta(minutes=10)
    python_modules: str = ""  # comma-separated; each module has register(functions)
    shell_actions: bool = False  # the shell action runs argv on worker hosts: opt in
    # ...and only for these organizations: ids or names, comma-separated; "*" for all of them.
    shell_organizations: str = ""

    # Outgoing requests (http steps, webhooks) may reach global addresses, and these: comma-
    # separated address ranges and host names (docs/security.md).
    outbound_allow: str = ""

    # Retry policy of new schedules that set none (processes that create schedules read it).
    retry_max_attempts: int = Field(
        default=schedule_defaults.DEFAULT_MAX_ATTEMPTS, ge=1, le=schedule_defaults.MAX_ATTEMPTS
    )
    retry_backoff_initial: Annotated[Duration, Field(ge=timedelta(0))] = (
        schedule_defaults.DEFAULT_BACKOFF_INITIAL
    )
    retry_backoff_factor: float = Field(
        default=schedule_defaults.DEFAULT_BACKOFF_FACTOR, ge=1, allow_inf_nan=False
    )
    retry_backoff_max: Duration = schedule_defaults.DEFAULT_BACKOFF_MAX

    # Alerts by email.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "cronwright@localhost"
    smtp_starttls: bool = False  # older spelling of smtp_tls=starttls
    # auto: TLS on port 465, STARTTLS wherever the server offers it; credentials need TLS.
    smtp_tls: Literal["auto", "starttls", "implicit", "off"] = "auto"
    smtp_allow_plaintext_auth: bool = False  # send the password over a connection without TLS
    smtp_ca_file: str | None = None  # authorities the server's certificate is checked with

    # Logging and statistics.
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.CONSOLE
    stats_interval: PositiveDuration = timedelta(minutes=5)

    # History retention.
    retention_max_age: Annotated[Duration, Field(gt=timedelta(0))] | None = timedelta(days=30)
    retention_keep_per_schedule: int | None = Field(default=1000, ge=0)
    retention_interval: PositiveDuration = timedelta(hours=1)

    @pydantic.field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @pydantic.field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @pydantic.field_validator("database_url")
    @classmethod
    def _parseable_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except Exception:  # SQLAlchemy raises ArgumentError; any failure means "not a URL"
            raise ValueError("must be a database URL like sqlite:///cronwright.db") from None
        if url.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @pydantic.field_validator(*_OPTIONAL, mode="before")
    @classmethod
    def _off_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "off", "none"):
            return None
        return value

    @pydantic.field_validator("outbound_allow")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        outbound.OutboundPolicy.parse(value)  # ValueError naming the entry at fault
        return value

    @pydantic.field_validator("heartbeat")
    @classmethod
    def _heartbeat_within_lease(cls, value: timedelta, info: pydantic.ValidationInfo) -> timedelta:
        lease = info.data.get("lease")
        if lease is not None and value >= lease:
            raise ValueError(f"must be shorter than the lease ({_format_duration(lease)})")
        return value

    @pydantic.field_validator("retry_backoff_max")
    @classmethod
    def _backoff_max_from_initial(
        cls, value: timedelta, info: pydantic.ValidationInfo
    ) -> timedelta:
        initial = info.data.get("retry_backoff_initial")
        if initial is not None and value < initial:
            shown = _format_duration(initial)
            raise ValueError(f"must be at least {env_name('retry_backoff_initial')} ({shown})")
        return value

    @property
    def retry_defaults(self) -> domain.RetryDefaults:
        return domain.RetryDefaults(
            max_attempts=self.retry_max_attempts,
            backoff_initial=self.retry_backoff_initial,
            backoff_factor=self.retry_backoff_factor,
            backoff_max=self.retry_backoff_max,
        )

    @property
    def python_module_names(self) -> list[str]:
        return [part.strip() for part in self.python_modules.split(",") if part.strip()]

    @property
    def shell_gate(self) -> shell_action.ShellGate:
        return shell_action.ShellGate.parse(self.shell_organizations)

    @property
    def outbound_policy(self) -> outbound.OutboundPolicy:
        return outbound.OutboundPolicy.parse(self.outbound_allow)

    @property
    def is_postgres(self) -> bool:
        return make_url(self.database_url).get_backend_name() in ("postgresql", "postgres")

    def masked(self) -> dict[str, str]:
        """Every setting as its environment variable and a printable value, secrets hidden."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            shown[env_name(name)] = (
                _hide_password(value) if name == "database_url" else _printable(value)
            )
        return shown


# CRONWRIGHT_* variables read by the test suite and tools (the admin CLI's server), not by
# Settings.
OTHER_VARIABLES = frozenset(
    {
        "CRONWRIGHT_REQUIRE_POSTGRES",
        "CRONWRIGHT_REQUIRE_BROWSER",
        "CRONWRIGHT_CHROMIUM",
        "CRONWRIGHT_API_URL",
        "CRONWRIGHT_API_KEY",
    }
)
_SIMILAR = 0.75  # difflib ratio (of the names after the prefix) that marks a misspelling


def misspelt_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``CRONWRIGHT_*`` variable that is no setting but close to one:
    ``CRONWRIGHT_WORKER_CONCURENCY is not a setting; did you mean
    CRONWRIGHT_WORKER_CONCURRENCY?`` (Settings ignores unknown names, so a typo would
    silently leave the default in force.)"""
    known = [name.upper() for name in Settings.model_fields]
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in OTHER_VARIABLES:
            continue
        suffix = upper.removeprefix(ENV_PREFIX)
        if suffix in known:
            continue
        close = difflib.get_close_matches(suffix, known, n=1, cutoff=_SIMILAR)
        if close:
            warnings.append(f"{name} is not a setting; did you mean {ENV_PREFIX}{close[0]}?")
    return warnings


def shown_default(field: str) -> str:
    """The default of a setting as ``cronwright config`` would print it ("" for none)."""
    default = Settings.model_fields[field].get_default(call_default_factory=True)
    return _printable(default)


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def describe_error(exc: pydantic.ValidationError, *, flags: dict[str, str] | None = None) -> str:
    """The first error as one line, naming the variable (or the flag, for fields in ``flags``):
    ``CRONWRIGHT_WORKER_CONCURRENCY: must be at least 1, got '0'``."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    where = (flags or {}).get(field) or env_name(field)
    shown = "***" if field in _SECRETS else _shown(error.get("input"))
    if field == "database_url":
        shown = _hide_password(shown)
    extra = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {_message(error)}, got {shown!r}{extra}"


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()))
        if isinstance(bound, float):
            bound = f"{bound:g}"  # "at least 1", not "at least 1.0"
        if str(bound).startswith("datetime.timedelta("):  # pydantic hands duration bounds as repr
            bound = _format_duration(_TIMEDELTA_BOUNDS.get(str(bound), timedelta(0)))
        return {
            "greater_than_equal": f"must be at least {bound}",
            "greater_than": f"must be more than {bound}",
            "less_than_equal": f"must be at most {bound}",
            "less_than": f"must be less than {bound}",
        }[kind]
    if kind in ("int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "float_parsing":
        return "must be a number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "bool_parsing":
        return "must be true or false"
    if kind.startswith("time_delta"):
        return "must be a duration (seconds, 30s, 5m, 1h or ISO-8601 like PT30S)"
    if kind == "enum":
        return f"must be one of {ctx.get('expected', '')}".replace("'", "")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"]).lower()


# The duration bounds this module uses, by the repr pydantic reports them with.
_TIMEDELTA_BOUNDS = {repr(timedelta(0)): timedelta(0)}


def _printable(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return _format_duration(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "***"
    if isinstance(value, timedelta):
        return _format_duration(value)
    return "" if value is None else str(value)


def _format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing recognisable to hide
        return url
