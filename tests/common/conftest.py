"""Fixtures of the kernel tests: the kernel test service on the session's real, migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import mint_token

from .kernel_app import create_kernel_app, create_schema, kernel_settings

SECRET = "kernel-test-secret-" + "k" * 16
SCOPES = "kernel:read kernel:write audit:read"


def bearer(
    scopes: str = SCOPES, *, sub: str = "tester", secret: str = SECRET, **claims: Any
) -> dict[str, str]:
    """The Authorization header of a token signed for the kernel test service."""
    return {"Authorization": f"Bearer {mint_token(secret, sub=sub, scopes=scopes, **claims)}"}


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://kernel.test")


@pytest.fixture(scope="session")
async def kernel_schema(engine: AsyncEngine) -> AsyncEngine:
    """Creates schema `kernel_test` once; tests keep their rows apart by a tag of their own."""
    async with engine.begin() as connection:
        await create_schema(connection)
    return engine


@pytest.fixture(scope="session")
async def kernel_app(database_url: str, kernel_schema: AsyncEngine) -> AsyncIterator[FastAPI]:
    app = create_kernel_app(kernel_settings(database_url, SECRET))
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def kernel(kernel_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the kernel test service; its database work is committed for real."""
    kernel_app.state.fail_next = False
    kernel_app.state.hold = None
    async with client_for(kernel_app) as client:
        yield client


@pytest.fixture
async def make_kernel_app(
    database_url: str, kernel_schema: AsyncEngine
) -> AsyncIterator[Callable[..., Awaitable[FastAPI]]]:
    """`await make_kernel_app(*routers, **settings)` → a started kernel app; shut down after the test."""
    async with AsyncExitStack() as stack:

        async def make(*routers: Any, **overrides: Any) -> FastAPI:
            overrides.setdefault("jwt_secret", SECRET)
            url = overrides.pop("database_url", database_url)
            app = create_kernel_app(kernel_settings(url, **overrides), *routers)
            await stack.enter_async_context(LifespanManager(app))
            return app

        yield make
