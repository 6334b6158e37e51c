"""Fixtures of the benchmark's own tests: a database with loaded vendors, the service and the baseline.

The loaded database is shared by the whole session and never rolled back (the loader commits, as the
benchmark's does); the one test that writes registers a vendor at the end of the sequence.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from bench.database import fresh_database, postgres_server
from bench.dataset import load_vendors
from bench.raw_app import create_app as create_raw_app
from services.common.auth import mint_token
from services.vendors.app import create_app as create_vendors_app
from services.vendors.settings import VendorsSettings

JWT_SECRET = "bench-test-secret-" + "x" * 20
SIGNING_KEY = "bench-test-pages-" + "y" * 20
VENDOR_COUNT = 120


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with (
        postgres_server(os.environ.get("CITYOPS_TEST_DATABASE_URL")) as server,
        fresh_database(server, prefix="cityops_bench_test") as url,
    ):
        yield url


@pytest.fixture(scope="session")
async def loaded_ids(database_url: str) -> list[uuid.UUID]:
    return await load_vendors(database_url, VENDOR_COUNT)


@pytest.fixture(scope="session")
def auth() -> Callable[..., dict[str, str]]:
    def make(scopes: str = "procurement:read", secret: str = JWT_SECRET) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(secret, sub='bench-tester', scopes=scopes)}"}

    return make


@pytest.fixture(scope="session")
async def service(database_url: str, loaded_ids: list[uuid.UUID]) -> AsyncIterator[httpx.AsyncClient]:
    settings = VendorsSettings(
        database_url=database_url, jwt_secret=JWT_SECRET, secret_key=SIGNING_KEY, log_json=False
    )
    app = create_vendors_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://service.test") as client,
    ):
        yield client


@pytest.fixture(scope="session")
async def raw(database_url: str, loaded_ids: list[uuid.UUID]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_raw_app(database_url, JWT_SECRET, SIGNING_KEY)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://raw.test") as client,
    ):
        yield client
