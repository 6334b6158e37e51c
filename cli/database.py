"""The database the platform runs on: a configured server, or an embedded PostgreSQL (`pgserver`).

With no CITYOPS_DATABASE_URL, a private PostgreSQL 16 is started from the `pgserver` package in
`<data dir>/postgres`, listening only on a Unix socket in that folder, so that a machine with nothing
but Python runs the platform. It ships no contrib extensions: the code uses core PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg


class EmbeddedPostgres:
    """A pgserver-managed PostgreSQL in `folder`; `stop()` shuts it down (also done at interpreter exit)."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            logging.getLogger("pgserver").setLevel(logging.WARNING)

            folder.mkdir(parents=True, exist_ok=True)
            self._server: Any = pgserver.get_server(folder.resolve(), cleanup_mode="stop")
        self.url: str = self._server.get_uri()

    def stop(self) -> None:
        self._server.cleanup()


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
