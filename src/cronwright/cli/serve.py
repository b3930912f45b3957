"""``cronwright serve`` (everything in one process) and the cluster roles ``scheduler``,
``worker`` and ``api``.

Exit status: 0 after a graceful stop (SIGINT/SIGTERM); 1 when the process cannot start
(database unreachable or not migrated, port taken); 2 for an invalid setting or flag;
128 + the signal number when a second signal cuts the drain short (130 SIGINT, 143 SIGTERM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cronwright import settings
from cronwright.bootstrap import errors as startup
from cronwright.cli import options

if TYPE_CHECKING:
    from cronwright.bootstrap import root, runtime


def api_app(chosen: settings.Settings, process: root.Root) -> runtime.ApiApp:
    from cronwright import actions
    from cronwright.api.app import create_app
    from cronwright.api.container import Container
    from cronwright.bootstrap import runtime
    from cronwright.web import Alerts, mount_dashboard

    container = Container.from_root(  # the process's engine, clock and loops
        process,
        # Test alerts use the configured SMTP and outbound policy.
        alert_settings=runtime.alert_settings(chosen),
        # Steps are checked on save: shell refused unless the operator allowed it, http URLs
        # against the outbound policy.
        check_config=actions.config_checker(
            allow_shell=chosen.shell_actions, outbound_policy=chosen.outbound_policy
        ),
        retry_defaults=chosen.retry_defaults,
        shell_gate=chosen.shell_gate,
    )
    app = create_app(container)
    mount_dashboard(
        app,
        container.service,
        container.clock,
        triggers=container.triggers,
        throttle=container.throttle,
        queue=container.queue,
        alerts=Alerts(channels=container.alert_channels, alerter=container.alerter),
        templates=container.templates,
        loops=container.loops,
    )
    return runtime.ApiApp(asgi=app, registry=app.state.metrics.registry, close=container.close)


def _run(role: str, chosen: settings.Settings, *, demo: bool = False) -> None:
    # Imported when a process starts, not for every command: the engine and FastAPI are heavy.
    from cronwright.bootstrap import runtime

    runtime.configure_logging(chosen)
    try:
        process = runtime.Runtime.build(
            chosen, runtime.Role(role), api_factory=api_app, demo_mode=demo
        )
    except startup.ConfigError as exc:
        options.fail(str(exc), startup.EXIT_CONFIG)
    except startup.StartupError as exc:
        options.fail(str(exc), startup.EXIT_STARTUP)
    raise typer.Exit(process.run(on_ready=_banner))


def _banner(process: runtime.Runtime) -> None:
    """What a person starting ``serve`` needs to see once: where, how to sign in, and the
    demo's key (or, on an empty database, how to make an organization and a key)."""
    if process.api is None:
        return
    url = process.api.url
    typer.echo(f"cronwright {process.role.value}: {url}")
    typer.echo(f"  dashboard: {url}/ui   API docs: {url}/api/v1/docs")
    seeded = process.seeded
    if seeded is not None:
        token = seeded.key.token
        typer.echo(
            f'demo organization "{seeded.organization.name}", schedules: '
            + ", ".join(schedule.spec.name for schedule in seeded.schedules)
        )
        typer.echo(f"admin API key (shown once): {token}")
        typer.echo(f"  sign in with this key at {url}/ui")
        typer.echo(f'  curl -H "Authorization: Bearer {token}" {url}/api/v1/runs')
    elif not process.store.list_organizations():
        for line in first_steps(process.settings):
            typer.echo(line)
    typer.echo("Ctrl-C stops gracefully (twice: at once)")


def first_steps(chosen: settings.Settings) -> list[str]:
    """How to make your own organization and a key to sign in with, on this database."""
    url = "" if chosen.database_url == settings.DEFAULT_DATABASE_URL else " --url URL"
    return [
        "no organization yet: make yours and an admin API key to sign in with",
        f"  cronwright org create acme{url}",
        f"  cronwright apikey create --org acme --name me --role admin{url}",
        "  (or try everything at once with: cronwright serve --demo)",
    ]


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed a demo organization whose schedules fire now.")
    ] = False,
    url: options.Url = None,
    host: options.Host = None,
    port: options.Port = None,
    concurrency: options.Concurrency = None,
    log_level: options.LogLevel = None,
    log_format: options.LogFormat = None,
) -> None:
    """Run the API, the scheduler and the workers in one process (migrates the database)."""
    chosen = options.load_settings(
        database_url=url,
        host=host,
        port=port,
        worker_concurrency=concurrency,
        log_level=log_level,
        log_format=log_format,
    )
    _run("serve", chosen, demo=demo)


def scheduler(
    url: options.Url = None,
    metrics_port: options.MetricsPort = None,
    log_level: options.LogLevel = None,
    log_format: options.LogFormat = None,
) -> None:
    """Run a scheduler loop: turn due slots into runs (any number per database)."""
    chosen = options.load_settings(
        database_url=url, metrics_port=metrics_port, log_level=log_level, log_format=log_format
    )
    _run("scheduler", chosen)


def worker(
    url: options.Url = None,
    concurrency: options.Concurrency = None,
    metrics_port: options.MetricsPort = None,
    log_level: options.LogLevel = None,
    log_format: options.LogFormat = None,
) -> None:
    """Run a worker pool and a reaper: claim runs and execute them (any number per database)."""
    chosen = options.load_settings(
        database_url=url,
        worker_concurrency=concurrency,
        metrics_port=metrics_port,
        log_level=log_level,
        log_format=log_format,
    )
    _run("worker", chosen)


def api(
    url: options.Url = None,
    host: options.Host = None,
    port: options.Port = None,
    log_level: options.LogLevel = None,
    log_format: options.LogFormat = None,
) -> None:
    """Serve the HTTP API, /healthz, /readyz and /metrics (any number per database)."""
    chosen = options.load_settings(
        database_url=url, host=host, port=port, log_level=log_level, log_format=log_format
    )
    _run("api", chosen)
