"""`cityops run`: the whole platform on one machine, with one command.

Order of start: the database (embedded unless configured), migrations, demo data on a first start, each
service, then the gateway, each waited for on its /readyz. Order of stop, on Ctrl-C or SIGTERM: the
gateway, the services, the embedded database, its watchdog. Every child gets its configuration from the
environment, exactly as a container would.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import asyncpg
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from cli import migrate
from cli.database import (
    PLATFORM_DATABASE,
    DatabaseKeeper,
    EmbeddedPostgres,
    displayable,
    embedded_folder,
    ensure_database,
)
from cli.keys import DEVELOPMENT_SCOPES, PlatformKeys, platform_keys
from cli.seed import DemoDataUnavailable, has_vendors, load_assets_demo_data, load_demo_data
from cli.services import GATEWAY, SERVICES
from cli.supervisor import Shutdown, StartupFailed, StopSignals, Supervisor, stop_signals
from services.common.auth import mint_token
from services.common.settings import PlatformSettings

TOKEN_TTL_SECONDS = 8 * 3600
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
T = TypeVar("T")


def say(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class RunOptions:
    demo_data: bool = True
    log_to_terminal: bool = False
    ready_timeout: float = 90.0


@dataclass(frozen=True)
class Layout:
    """Where everything is: the data folder, the bind address and each process's port."""

    data_dir: Path
    host: str
    ports: dict[str, int]

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def local_url(self, name: str) -> str:
        """How this machine reaches a process (the gateway's upstreams, the readiness checks)."""
        host = "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host
        return f"http://{_bracketed(host)}:{self.ports[name]}"

    def public_url(self, name: str) -> str:
        """What a person opens in a browser."""
        host = "localhost" if self.host in (*WILDCARD_HOSTS, "127.0.0.1", "::1") else self.host
        return f"http://{_bracketed(host)}:{self.ports[name]}"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_platform(options: RunOptions) -> int:
    try:
        settings = PlatformSettings()
        layout = Layout(
            data_dir=settings.data_dir.resolve(),
            host=os.environ.get("CITYOPS_HOST", "127.0.0.1"),
            ports={spec.name: spec.port() for spec in (*SERVICES, GATEWAY)},
        )
        keys = platform_keys(settings)
    except (ValidationError, OSError) as exc:
        say(f"CityOps cannot start with this configuration: {exc}")
        return 2
    with stop_signals(say) as signals, ExitStack() as cleanup:
        try:
            code = _start_and_supervise(layout, keys, settings.jwt_audience, options, cleanup, signals)
        except Shutdown:
            say("\nStopping CityOps…")
            code = 0
        except StartupFailed as exc:
            say(f"CityOps could not start: {exc}")
            code = 1
        finally:
            signals.stopping()
    say("CityOps stopped.")
    return code


def _start_and_supervise(
    layout: Layout,
    keys: PlatformKeys,
    audience: str,
    options: RunOptions,
    cleanup: ExitStack,
    signals: StopSignals,
) -> int:
    for name, port in layout.ports.items():
        _ensure_port_free(layout.host, port, name)
    log_dir = None if options.log_to_terminal else layout.log_dir
    env = _platform_env(layout, keys)
    # Not cut short by a signal: initdb killed midway leaves a folder that never starts again, and an
    # exception raised inside the asyncio code of migrations and loading can leave them hanging.
    with signals.deferred("the database is ready"):
        embedded = _embedded_database_if_needed(layout, log_dir, cleanup)
        embedded_url = embedded[0] if embedded else None
        if embedded_url:
            env["CITYOPS_DATABASE_URL"] = embedded_url
        database_urls = {spec.name: spec.database_url() or embedded_url or "" for spec in SERVICES}
        _migrate(database_urls)
        if options.demo_data:
            _load_demo_data_once(database_urls["vendors"])
            _load_assets_demo_data_once(database_urls["assets"])

    processes = Supervisor(log_dir)
    cleanup.callback(processes.stop_all)
    for spec in (*SERVICES, GATEWAY):
        with signals.deferred(f"{spec.name} is launched"):  # so that it is tracked, hence stopped
            child = processes.start(spec.name, [sys.executable, "-m", "cli", "serve", spec.name], env)
        processes.wait_until_ready(child, f"{layout.local_url(spec.name)}/readyz", options.ready_timeout)
        say(f"  {spec.name:<8} ready on {layout.local_url(spec.name)} (pid {child.pid})")

    _print_banner(layout, keys, audience, log_dir)
    keeper = DatabaseKeeper(embedded[1], say) if embedded else None
    return _supervise(processes, keeper, signals)


def _platform_env(layout: Layout, keys: PlatformKeys) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CITYOPS_DATA_DIR=str(layout.data_dir),
        CITYOPS_JWT_SECRET=keys.jwt_secret,
        CITYOPS_SECRET_KEY=keys.secret_key,
        CITYOPS_HOST=layout.host,
        PYTHONUNBUFFERED="1",
    )
    for spec in (*SERVICES, GATEWAY):
        env[f"{spec.env_prefix}PORT"] = str(layout.ports[spec.name])
    for spec in SERVICES:
        env[f"{spec.env_prefix}URL"] = layout.local_url(spec.name)
    return env


def _ensure_port_free(host: str, port: int, name: str) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by the last run is free, a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupFailed(
                f"port {port} on {host} ({name}) is not available: {exc.strerror}. "
                f"Set CITYOPS_{name.upper()}_PORT to another port."
            ) from exc


def _embedded_database_if_needed(
    layout: Layout, log_dir: Path | None, cleanup: ExitStack
) -> tuple[str, EmbeddedPostgres] | None:
    """Starts the embedded PostgreSQL when a service has no database configured; returns its URL."""
    if all(spec.database_url() for spec in SERVICES):
        return None
    folder = embedded_folder(layout.data_dir)
    say(f"Starting the embedded PostgreSQL in {folder}…")
    # The watchdog comes first, so that the database cannot outlive this process however it ends.
    watchdog = Supervisor(log_dir)
    cleanup.callback(watchdog.stop_all)
    watchdog.start(
        "database-watchdog", [sys.executable, "-m", "cli.guardian", str(folder), str(os.getpid())], os.environ
    )
    try:
        embedded = EmbeddedPostgres(folder)
    except Exception as exc:
        raise StartupFailed(f"the embedded PostgreSQL did not start ({exc}); see {folder / 'log'}.") from exc
    cleanup.callback(embedded.stop)
    url = _database_step(lambda: ensure_database(embedded.url, PLATFORM_DATABASE), "the embedded PostgreSQL")
    return url, embedded


def _migrate(database_urls: dict[str, str]) -> None:
    for name, url in database_urls.items():
        _database_step(partial(migrate.upgrade, url, services=(name,)), displayable(url))
    say(f"Migrations applied ({', '.join(database_urls)}).")


def _database_step(step: Callable[[], T], where: str) -> T:
    try:
        return step()
    except (OSError, asyncpg.PostgresError, SQLAlchemyError) as exc:
        # The driver's own message, without SQLAlchemy's statement and links.
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise StartupFailed(f"the database at {where} failed: {reason}") from exc


def _load_demo_data_once(database_url: str) -> None:
    if _database_step(lambda: has_vendors(database_url), displayable(database_url)):
        say("Demo data: the registry already has data; nothing loaded.")
        return
    started = time.monotonic()
    try:
        count = load_demo_data(database_url)
    except DemoDataUnavailable as exc:
        say(f"Demo data: {exc}")
        return
    except Exception as exc:
        # The platform is still useful without its demo data: say what failed and go on.
        say(f"Demo data could not be loaded ({type(exc).__name__}: {exc}); starting without it.")
        return
    if count:
        say(f"Demo data loaded: {count} records in {time.monotonic() - started:.1f} s.")


def _load_assets_demo_data_once(database_url: str) -> None:
    """The registry's demo sites, into an empty registry only (the loader checks, under a lock)."""
    started = time.monotonic()
    try:
        count = _database_step(lambda: load_assets_demo_data(database_url), displayable(database_url))
    except StartupFailed:
        raise
    except Exception as exc:
        say(f"Real-estate demo data could not be loaded ({type(exc).__name__}: {exc}); starting without it.")
        return
    if count:
        say(f"Real-estate demo data loaded: {count} assets in {time.monotonic() - started:.1f} s.")


def _print_banner(layout: Layout, keys: PlatformKeys, audience: str, log_dir: Path | None) -> None:
    token = mint_token(
        keys.jwt_secret,
        sub="developer",
        scopes=DEVELOPMENT_SCOPES,
        audience=audience,
        ttl_seconds=TOKEN_TTL_SECONDS,
    )
    gateway = layout.public_url(GATEWAY.name)
    lines = [
        "",
        "CityOps is running.",
        f"  Gateway   {gateway}",
        f"  Docs      {gateway}/docs",
        f"  Token     {token}",
        f"            (every scope, valid {TOKEN_TTL_SECONDS // 3600} h; `cityops token --help` for others)",
        f"  Try       curl -H 'Authorization: Bearer <token>' {gateway}/v1/procurement/vendors",
    ]
    if log_dir is not None:
        lines.append(f"  Logs      {log_dir}")
    lines += ["Press Ctrl-C to stop.", ""]
    say("\n".join(lines))


def _supervise(processes: Supervisor, database: DatabaseKeeper | None, signals: StopSignals) -> int:
    """Reports children that exit, and restarts the embedded database when it stops (the services answer
    503 meanwhile and recover by themselves). A service that stops leaves the rest running (the gateway
    answers 503 for its paths); without the gateway nothing is reachable, so the platform stops (exit
    code 1). A Ctrl-C ends the loop through Shutdown."""
    while True:
        if database is not None and database.restart_due():
            with signals.deferred("the database has restarted"):  # pg_ctl cut short leaves it half up
                database.restart()
        for child in processes.newly_exited():
            where = f" See {child.log_path}." if child.log_path else ""
            say(f"{child.name} (pid {child.pid}) {child.exit_description()}.{where}")
            if child.name == GATEWAY.name:
                say("Without the gateway nothing is reachable: stopping CityOps.")
                return 1
        time.sleep(0.5)
