"""The unit of work: a request's writes commit at one edge, before the response is sent, and roll back on
any error. Service code never commits.

Every route of a service is a `UnitOfWorkRoute` (routers are made with `service_router`). For a read (GET
and HEAD) that takes a `Session`, the route takes a reused read session before the endpoint runs and gives it
back once the response has been sent. For a write (any other method) the route opens the request's session
before the endpoint runs and, once
the endpoint has returned its response, commits it: a 2xx or 3xx answer commits, anything else, raised
or returned, rolls back. A failed commit raises, so the client never sees a success for a write that did
not happen. `Idempotency-Key` is settled in the same transaction (see `idempotency`): the stored answer
commits with the write it describes, or neither does.

Background work (imports, syncs, deliveries) takes the same unit of work with `unit_of_work(sessions)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from services.common.db import READ_ONLY_METHODS, create_sessionmaker, get_session
from services.common.route_guard import dependants, guarded_handler

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Sessions:
    """Where a process's sessions come from: one per write, reused ones for reads.

    Admission is in arrival order (`slots`): the pool's own queue lets a newcomer take a connection a
    woken waiter was about to get, which starves some requests for seconds once they outnumber the
    connections. Tests replace an app's `Sessions` with one that hands out their rolled-back session.
    """

    def __init__(self, engine: AsyncEngine, slots: int) -> None:
        self.writer: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)
        self.reader: async_sessionmaker[AsyncSession] = create_sessionmaker(engine, autocommit=True)
        self.slots = asyncio.Semaphore(slots)
        self._spares: list[AsyncSession] = []
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def scalar_unqueued(self, statement: Executable) -> Any:
        """One value, read on a connection borrowed from the pool for this one statement, without a slot.

        For the kernel's own reading a request does on its way in, before it queues for its own session
        (the sandbox clock): through a slot of its own, that request queued twice, once a second, and was
        the slowest of its second under load (marks taken in the server under `wrk -c32`: 100-300 ms
        more than its neighbours). The connection is held for one round trip."""
        async with self._autocommit.connect() as connection:
            return await connection.scalar(statement)

    @asynccontextmanager
    async def for_write(self) -> AsyncIterator[AsyncSession]:
        async with self.slots, self.writer() as session:
            yield session

    @asynccontextmanager
    async def for_read(self) -> AsyncIterator[AsyncSession]:
        """Read sessions run in autocommit and are reused: building one costs more than the one-row read
        it usually serves. One goes back only once closed, or untouched (no transaction, nothing in it),
        which is the state close() leaves it in; at most one per slot is ever out, so spares stay bounded."""
        async with self.slots:
            session = self._spares.pop() if self._spares else self.reader()
            try:
                yield session
            finally:
                if session.in_transaction() or session.identity_map or session.new or session.deleted:
                    await session.close()
                self._spares.append(session)


@asynccontextmanager
async def unit_of_work(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """Background work's transaction: commits when the block ends normally, rolls back on any error."""
    async with sessions.for_write() as session:
        yield session
        await session.commit()


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        # The token and the body's size are checked before a session opens or the body is read.
        return guarded_handler(self, self._handler_in_unit_of_work())

    def _handler_in_unit_of_work(self) -> Handler:
        handler = super().get_route_handler()
        if _reads_only(self):
            return _with_read_session(handler) if takes_session(self) else handler

        async def in_unit_of_work(request: Request) -> Response:
            async with request.app.state.sessions.for_write() as session:
                request.state.session = session
                keyed = await request.app.state.idempotency.claim(request, session)
                if isinstance(keyed, Response):
                    return keyed  # a replay, or a refusal; nothing of this request ran
                try:
                    response = await handler(request)
                except Exception:
                    # Closing would roll back too; said here for a session that outlives the request
                    # (a test's), which a failed statement would otherwise leave aborted.
                    await session.rollback()
                    raise
                if response.status_code >= 400:
                    await session.rollback()
                    return response
                if keyed is not None:
                    await keyed.store(session, response)
                await session.commit()
            return response

        return in_unit_of_work


def _with_read_session(handler: Handler) -> Handler:
    """A read's session, taken before the endpoint runs and given back once the response has been sent:
    a streamed answer (a CSV export) reads from it to the end. The giving back is left to the request's
    exit stack, which FastAPI unwinds after the response, on success, error or cancellation alike."""

    async def with_read_session(request: Request) -> Response:
        stack: AsyncExitStack = request.scope["fastapi_inner_astack"]
        request.state.session = await stack.enter_async_context(request.app.state.sessions.for_read())
        return await handler(request)

    return with_read_session


def service_router(route_class: type[UnitOfWorkRoute] = UnitOfWorkRoute, **kwargs: Any) -> APIRouter:
    """An `APIRouter` whose routes run in the unit of work: every service router is made with it (or with
    a subclass of `UnitOfWorkRoute` as its `route_class`)."""
    return APIRouter(route_class=route_class, **kwargs)


def check_unit_of_work(app: FastAPI) -> None:
    """Refuses to build an app with a writing route outside the unit of work (its writes would never
    commit, or would commit on their own), or a reading one that takes a `Session` (nothing would open it)."""
    # Read through the route contexts: an included router's routes are not flat `APIRoute`s in `app.routes`.
    strays = [
        f"{sorted(context.route.methods or ())} {context.path}"
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, APIRoute)
        and not isinstance(context.route, UnitOfWorkRoute)
        and (not _reads_only(context.route) or takes_session(context.route))
    ]
    if strays:
        raise RuntimeError(
            f"Routes outside the unit of work (make their router with `service_router`): {', '.join(strays)}"
        )


def _reads_only(route: APIRoute) -> bool:
    return (route.methods or set()) <= READ_ONLY_METHODS


def takes_session(route: APIRoute) -> bool:
    """Whether the route's endpoint, or any dependency of it, takes the request's `Session`."""
    return any(dependant.call is get_session for dependant in dependants(route.dependant))
