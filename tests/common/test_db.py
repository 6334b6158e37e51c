"""The database kernel on a real server: where compiled reads run, and how request sessions are handed out
and given back (no connection may stay checked out after a request)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from services.common.db import CompiledQuery, create_engine, create_sessionmaker, get_session

PLUS_ONE = CompiledQuery(select((bindparam("x", type_=Integer) + 1).label("y")))
BACKEND = CompiledQuery(select(func.pg_backend_pid().label("pid")))
TERMINATE_SELF = CompiledQuery(select(func.pg_terminate_backend(func.pg_backend_pid()).label("gone")))


@pytest.fixture
async def own_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


def _request(engine: AsyncEngine, method: str) -> Request:
    state = SimpleNamespace(
        sessionmaker=create_sessionmaker(engine),
        read_sessionmaker=create_sessionmaker(engine, autocommit=True),
        connection_slots=asyncio.Semaphore(2),
        spare_read_sessions=[],
    )
    return Request({"type": "http", "method": method, "app": SimpleNamespace(state=state)})


async def test_a_compiled_read_in_an_idle_read_session_borrows_a_connection_and_returns_it(own_engine):
    session = create_sessionmaker(own_engine, autocommit=True)()
    assert await PLUS_ONE.fetch_one(session, x=41) == {"y": 42}
    assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert not session.in_transaction()
    await session.close()


async def test_a_compiled_read_runs_on_the_connection_a_session_already_holds(own_engine):
    async with create_sessionmaker(own_engine, autocommit=True)() as session:
        held = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert (await BACKEND.fetch_one(session))["pid"] == held
    async with create_sessionmaker(own_engine)() as session:  # a write session: inside its transaction
        await session.execute(text("CREATE TEMPORARY TABLE scratch (x int) ON COMMIT DROP"))
        await session.execute(text("INSERT INTO scratch VALUES (7)"))
        in_transaction = CompiledQuery(select(text("x")).select_from(text("scratch")))
        assert await in_transaction.fetch_one(session) == {"x": 7}


async def test_a_connection_the_server_drops_is_not_handed_out_again(own_engine):
    session = create_sessionmaker(own_engine, autocommit=True)()
    first = (await BACKEND.fetch_one(session))["pid"]
    with pytest.raises(asyncpg.PostgresError):
        await TERMINATE_SELF.fetch_one(session)
    assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    for _ in range(3):  # every pooled connection answers; the dropped one is gone
        assert (await BACKEND.fetch_one(session))["pid"] != first
    await session.close()


async def test_read_sessions_are_reused_and_given_back_without_a_connection(own_engine):
    request = _request(own_engine, "GET")
    seen = []
    for statement in (None, "SELECT 1"):  # untouched, then one that took a connection
        requests_session = get_session(request)
        session = await anext(requests_session)
        seen.append(session)
        if statement:
            await session.execute(text(statement))
            assert own_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        with pytest.raises(StopAsyncIteration):
            await anext(requests_session)
        assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not session.in_transaction()
    assert seen[0] is seen[1]
    assert request.app.state.spare_read_sessions == [seen[0]]


async def test_write_sessions_are_never_reused(own_engine):
    request = _request(own_engine, "POST")
    sessions = []
    for _ in range(2):
        generator = get_session(request)
        sessions.append(await anext(generator))
        await sessions[-1].execute(text("SELECT 1"))
        with pytest.raises(StopAsyncIteration):
            await anext(generator)
    assert sessions[0] is not sessions[1]
    assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert request.app.state.spare_read_sessions == []


async def test_a_database_url_with_libpq_s_sslmode_connects(server_url):
    """Managed databases hand out URLs with `sslmode`; the engine must take them as they are."""
    separator = "&" if "?" in server_url else "?"
    engine = create_engine(f"{server_url}{separator}sslmode=disable", pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
