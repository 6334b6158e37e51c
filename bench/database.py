"""The benchmark's database: a fresh one, migrated through alembic, dropped afterwards.

On the server named by CITYOPS_BENCH_DATABASE_URL (or CITYOPS_DATABASE_URL) when one is set; otherwise
on an embedded PostgreSQL in a temporary folder, as the platform runs with nothing installed.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli import migrate
from cli.database import EmbeddedPostgres, drop_database, ensure_database

SERVER_VARIABLES = ("CITYOPS_BENCH_DATABASE_URL", "CITYOPS_DATABASE_URL")


def configured_server() -> str | None:
    for variable in SERVER_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return None


@contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """`url` as given, or an embedded server for the duration of the block."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="cityops-bench-pg-") as folder:
        embedded = EmbeddedPostgres(Path(folder))
        try:
            yield embedded.url
        finally:
            embedded.stop()


@contextmanager
def fresh_database(server_url: str, prefix: str = "cityops_bench") -> Iterator[str]:
    """A new database on the server, migrated to head; dropped when the block ends, whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = ensure_database(server_url, name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_database(server_url, name)
