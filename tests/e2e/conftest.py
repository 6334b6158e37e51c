"""Fixtures of the end-to-end tests: the real platform, on the embedded PostgreSQL or a server's database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.database import drop_database, ensure_database

from .harness import RunningPlatform


@pytest.fixture
def platform_database() -> Iterator[str | None]:
    """None: the platform starts its embedded PostgreSQL. With CITYOPS_TEST_DATABASE_URL: a fresh
    database on that server, dropped afterwards."""
    server = os.environ.get("CITYOPS_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    name = f"cityops_e2e_{uuid.uuid4().hex[:8]}"
    url = ensure_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, name)


@pytest.fixture
def platform(platform_database: str | None) -> Iterator[RunningPlatform]:
    # Not under pytest's tmp_path: a pytest session starting meanwhile makes its base folder private to
    # root again, and the embedded PostgreSQL runs as another user (pgserver) when the tests run as root.
    with tempfile.TemporaryDirectory(prefix="cityops-e2e-") as folder:
        running = RunningPlatform(data_dir=Path(folder) / "data", database_url=platform_database)
        try:
            yield running
        finally:
            running.kill_everything()
