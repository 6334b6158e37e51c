"""The database kernel on a real server: where compiled reads run, and how request sessions are handed out
and given back (no connection may stay checked out after a request)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import Integer, bindparam, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import CompiledQuery, Session, create_engine, create_sessionmaker
from services.common.unit_of_work import Sessions, service_router

from .conftest import bearer, client_for
from .kernel_app import PREFIX

PLUS_ONE = CompiledQuery(select((bindparam("x", type_=Integer) + 1).label("y")))
BACKEND = CompiledQuery(select(func.pg_backend_pid().label("pid")))
TERMINATE_SELF = CompiledQuery(select(func.pg_terminate_backend(func.pg_backend_pid()).label("gone")))


@pytest.fixture
async def own_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


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
    sessions = Sessions(own_engine, slots=2)
    seen = []
    for statement in (None, "SELECT 1"):  # untouched, then one that took a connection
        async with sessions.for_read() as session:
            seen.append(session)
            if statement:
                await session.execute(text(statement))
                assert own_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not session.in_transaction()
    assert seen[0] is seen[1]
    assert sessions._spares == [seen[0]]


async def test_write_sessions_are_never_reused(own_engine):
    sessions = Sessions(own_engine, slots=2)
    opened = []
    for _ in range(2):
        async with sessions.for_write() as session:
            opened.append(session)
            await session.execute(text("SELECT 1"))
    assert opened[0] is not opened[1]
    assert own_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert sessions._spares == []


async def test_a_database_url_with_libpq_s_sslmode_connects(server_url):
    """Managed databases hand out URLs with `sslmode`; the engine must take them as they are."""
    separator = "&" if "?" in server_url else "?"
    engine = create_engine(f"{server_url}{separator}sslmode=disable", pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


# A read's session, as its route takes it and gives it back

streamed = service_router()


@streamed.get("/counted")
async def counted(session: Session) -> StreamingResponse:
    """Reads from the request's session while its response streams, as a CSV export does."""

    async def lines() -> AsyncIterator[str]:
        for n in range(3):
            yield f"{await session.scalar(select(literal(n)))}\n"

    return StreamingResponse(lines(), media_type="text/plain")


async def test_a_read_s_session_serves_its_streamed_answer_to_the_end_then_goes_back(make_kernel_app):
    app = await make_kernel_app(streamed)
    async with client_for(app) as client:
        response = await client.get(f"{PREFIX}/counted")
    assert response.status_code == 200 and response.text == "0\n1\n2\n"
    assert app.state.engine.pool.checkedout() == 0
    assert len(app.state.sessions._spares) == 1 and not app.state.sessions._spares[0].in_transaction()


async def test_a_read_that_fails_gives_its_session_and_connection_back(make_kernel_app):
    app = await make_kernel_app()
    async with client_for(app) as client:
        failed = await client.get(f"{PREFIX}/failures/sql")
        assert failed.status_code == 500
        assert app.state.engine.pool.checkedout() == 0
        again = await client.get(f"{PREFIX}/items", params={"tag": "none"}, headers=bearer())
    assert again.status_code == 200, again.text
    assert app.state.engine.pool.checkedout() == 0


async def test_routes_outside_the_unit_of_work_that_write_or_take_a_session_are_refused(make_kernel_app):
    stray = APIRouter()

    @stray.get("/stray")
    async def stray_read(session: Session) -> dict[str, str]:
        return {}

    @stray.post("/stray")
    async def stray_write() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match=r"\['GET'\] /v1/kernel/stray, \['POST'\] /v1/kernel/stray"):
        await make_kernel_app(stray)
