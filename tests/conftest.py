"""Test fixtures: a real PostgreSQL, migrated through alembic, and each test rolled back.

The database is the embedded one (pgserver, in a temporary folder) unless CITYOPS_TEST_DATABASE_URL
names a server; either way the suite works in a database of its own, created and dropped here.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from cli import migrate
from cli.database import EmbeddedPostgres, drop_database, ensure_database
from services.assets.app import create_app as create_assets_app
from services.assets.settings import AssetsSettings
from services.common.auth import mint_token
from services.common.db import create_engine
from services.vendors.app import create_app as create_vendors_app
from services.vendors.settings import VendorsSettings

JWT_SECRET = "test-secret-" + "x" * 20
ALL_SCOPES = (
    "procurement:read procurement:write procurement:evaluate procurement:tax_reveal audit:read "
    "real_estate:read real_estate:write safety:read safety:write safety:confidential portfolio:read portfolio:write "
    "sandbox:clock"
)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server: CITYOPS_TEST_DATABASE_URL, or an embedded one for the session."""
    configured = os.environ.get("CITYOPS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="cityops-test-pg-") as folder:
        embedded = EmbeddedPostgres(Path(folder))
        try:
            yield embedded.url
        finally:
            embedded.stop()


@contextmanager
def migrated_database(server_url: str, purpose: str) -> Iterator[str]:
    """A fresh database on the server, migrated to head, dropped afterwards. Tests whose data is
    committed (real servers, concurrent loaders) take one of their own rather than the shared one."""
    name = f"cityops_{purpose}_{uuid.uuid4().hex[:8]}"
    url = ensure_database(server_url, name)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """The suite's shared database; each test's work in it is rolled back."""
    with migrated_database(server_url, "test") as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside the test's transaction."""
    async with AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


@pytest.fixture
def token() -> Callable[..., str]:
    """`token("procurement:read")` → a signed bearer token with those scopes."""

    def make(
        scopes: str = ALL_SCOPES,
        sub: str = "tester",
        dept: str | None = None,
        vendor: str | None = None,
        ttl: int = 600,
    ) -> str:
        return mint_token(JWT_SECRET, sub=sub, scopes=scopes, dept=dept, vendor=vendor, ttl_seconds=ttl)

    return make


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """`auth("procurement:read")` → the Authorization header for a token with those scopes."""

    def make(scopes: str = ALL_SCOPES, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(scopes, **kwargs)}"}

    return make


@pytest.fixture(scope="session")
def vendors_settings(database_url: str) -> VendorsSettings:
    return VendorsSettings(database_url=database_url, jwt_secret=JWT_SECRET, log_json=False)


@pytest.fixture(scope="session")
async def vendors_app(vendors_settings: VendorsSettings) -> AsyncIterator[FastAPI]:
    app = create_vendors_app(vendors_settings)
    async with LifespanManager(app):
        yield app


class RolledBackSessions:
    """Stands for an app's `Sessions`: every request, read or write, works in the test's session, whose
    commits are savepoints inside the transaction rolled back after the test."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @asynccontextmanager
    async def for_write(self) -> AsyncIterator[AsyncSession]:
        yield self.session

    for_read = for_write

    async def scalar_unqueued(self, statement: Executable) -> Any:
        return await self.session.scalar(statement)


async def _client_for(
    app: FastAPI, session: AsyncSession, base_url: str = "http://vendors.test"
) -> AsyncIterator[httpx.AsyncClient]:
    real = app.state.sessions
    app.state.sessions = RolledBackSessions(session)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=base_url) as client:
            yield client
    finally:
        app.state.sessions = real


@pytest.fixture
async def vendors(vendors_app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the vendors app whose database work is rolled back after the test."""
    async for client in _client_for(vendors_app, session):
        yield client


@pytest.fixture(scope="session")
def assets_settings(database_url: str) -> AssetsSettings:
    return AssetsSettings(database_url=database_url, jwt_secret=JWT_SECRET, log_json=False)


@pytest.fixture(scope="session")
async def assets_app(assets_settings: AssetsSettings) -> AsyncIterator[FastAPI]:
    app = create_assets_app(assets_settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def assets(assets_app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the assets app whose database work is rolled back after the test."""
    async for client in _client_for(assets_app, session, "http://assets.test"):
        yield client
