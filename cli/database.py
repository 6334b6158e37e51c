"""The database the platform runs on: a configured server, or an embedded PostgreSQL (`pgserver`).

With no CITYOPS_DATABASE_URL, a private PostgreSQL 16 is started from the `pgserver` package in
`<data dir>/postgres`, listening only on a Unix socket in that folder, so that a machine with nothing
but Python runs the platform. It ships no contrib extensions: the code uses core PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil
from sqlalchemy.engine import make_url

# The database the platform's services share (a schema each) on the embedded server.
PLATFORM_DATABASE = "cityops"
# pgserver counts the processes using a data folder in this file; the last one out stops the server.
_HANDLES_FILE = ".handle_pids.json"


class EmbeddedPostgres:
    """A pgserver-managed PostgreSQL in `folder`; `stop()` shuts it down (also done at interpreter exit)."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            logging.getLogger("pgserver").setLevel(logging.WARNING)

            folder.mkdir(parents=True, exist_ok=True)
            with _pgserver_lock():
                # A process killed outright stays listed as a user and would keep the server up forever.
                _forget_dead_handles(folder.resolve())
            self._server: Any = pgserver.get_server(folder.resolve(), cleanup_mode="stop")
        self.folder = folder.resolve()
        self.url: str = self._server.get_uri()

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs; None once it has stopped, however it stopped."""
        return postmaster_pid(self.folder)

    def restart(self) -> int:
        """Starts the server again on the same folder and socket, so its URL stays the same; returns its
        pid. After a crash PostgreSQL recovers from its write-ahead log first: committed data is kept.
        Raises if it does not start (for example while the crashed server's last processes still hold
        its shared memory: try again a moment later)."""
        pgserver_log = logging.getLogger("pgserver")
        level = pgserver_log.level
        pgserver_log.setLevel(logging.CRITICAL)  # on failure it would print the server's whole log
        try:
            with _pgserver_lock():
                self._server.ensure_postgres_running()
        finally:
            pgserver_log.setLevel(level)
        pid = self.pid
        if pid is None:
            raise RuntimeError(f"PostgreSQL exited as it started; see {self.folder / 'log'}")
        return pid

    def stop(self) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):  # it had stopped already: as asked
            self._server.cleanup()


class DatabaseKeeper:
    """Starts the embedded PostgreSQL again when it stops while the platform runs, and says so.

    The supervisor's loop asks `restart_due()` and, when it is, calls `restart()`: a server found stopped
    is restarted at once, then, while restarts fail, after a wait that doubles each time up to
    `max_backoff` seconds."""

    def __init__(
        self,
        embedded: EmbeddedPostgres,
        announce: Callable[[str], None],
        *,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.embedded = embedded
        self.announce = announce
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.last_pid = embedded.pid
        self.backoff = first_backoff
        self.next_attempt: float | None = None  # set while the server is down

    def restart_due(self) -> bool:
        if self.next_attempt is None:
            if self.embedded.pid is not None:
                return False
            self.announce(
                f"The embedded PostgreSQL (pid {self.last_pid}) stopped; restarting it. "
                f"Its log: {self.embedded.folder / 'log'}."
            )
            self.next_attempt = time.monotonic()
        return time.monotonic() >= self.next_attempt

    def restart(self) -> None:
        try:
            pid = self.embedded.restart()
        except Exception as exc:
            self.announce(
                f"The embedded PostgreSQL did not restart ({exc}); next attempt in {self.backoff:g} s."
            )
            self.next_attempt = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, self.max_backoff)
            return
        self.announce(f"The embedded PostgreSQL is running again (pid {pid}).")
        self.last_pid, self.backoff, self.next_attempt = pid, self.first_backoff, None


def embedded_folder(data_dir: Path) -> Path:
    return (data_dir / "postgres").resolve()


@contextmanager
def embedded_platform_database(data_dir: Path) -> Iterator[str]:
    """The platform database on the embedded server of `data_dir`, for as long as the block runs.

    A server already running on that folder (e.g. under `cityops run`) is shared, not restarted.
    """
    embedded = EmbeddedPostgres(embedded_folder(data_dir))
    try:
        yield ensure_database(embedded.url, PLATFORM_DATABASE)
    finally:
        embedded.stop()


def displayable(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def postmaster_pid(folder: Path) -> int | None:
    """The pid of the PostgreSQL server running on `folder`, or None when none runs."""
    try:
        first_line = (folder / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first_line)
    except (OSError, ValueError):
        return None
    return pid if _is_running(pid) else None


def stop_if_unused(folder: Path, timeout: float = 30.0) -> bool:
    """Stops the embedded server when no live process uses it any more; True if it was stopped.

    For a supervisor that died without cleaning up (SIGKILL): its watchdog calls this, so the database
    does not outlive the platform, while another process still using the folder keeps it running.
    """
    folder = folder.resolve()
    with _pgserver_lock():
        if _forget_dead_handles(folder):
            return False
        pid = postmaster_pid(folder)
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown: abort sessions, checkpoint, exit.
        deadline = time.monotonic() + timeout
        while _is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        return not _is_running(pid)


def _pgserver_lock() -> Any:
    """pgserver's own inter-process lock, held by it while it starts or stops a server."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from pgserver.postgres_server import PostgresServer

    return PostgresServer._lock


def _forget_dead_handles(folder: Path) -> list[int]:
    """Drops processes that no longer run from pgserver's list of users; returns the live ones."""
    handles = folder / _HANDLES_FILE
    try:
        pids = [int(pid) for pid in json.loads(handles.read_text())]
    except (OSError, ValueError, TypeError):
        return []
    live = [pid for pid in pids if _is_running(pid)]
    if live != pids:
        handles.write_text(json.dumps(live))
    return live


def _is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def with_database(url: str, database: str) -> str:
    """The same server, another database: keeps host, credentials and query (the socket folder)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _asyncpg_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_url(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _exists(url: str, database: str) -> bool:
    connection = await asyncpg.connect(_asyncpg_url(url))
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database))
    finally:
        await connection.close()


def ensure_database(server_url: str, database: str) -> str:
    """Creates `database` on the server if missing; returns its URL."""
    if not asyncio.run(_exists(server_url, database)):
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{database}"'))
    return with_database(server_url, database)


def drop_database(server_url: str, database: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
