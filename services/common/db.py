"""Async database access: one engine per process, one session per request, one schema per service.

A request's session is opened by its route (the unit of work) and handed to the endpoint by `get_session`; a
write's commits at one edge, in its route, before the response is sent, so a failed commit surfaces as a
problem response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import orjson
import uuid_utils.compat as uuid_utils
from fastapi import Depends, Request
from sqlalchemy import ColumnElement, DateTime, MetaData, event, func, select, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as AsyncpgDialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Field, SQLModel

from services.common.clock import utcnow  # the platform's time: rows are stamped by it too
from services.common.problems import DatabaseUnreachable

_ASYNCPG_DIALECT = AsyncpgDialect()

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_registry(schema: str) -> registry:
    """A mapper registry whose metadata is bound to `schema`, with the naming convention.

    Each service declares `class <Service>Base(SQLModel, registry=schema_registry("<schema>"))`.
    SQLModel's default registry is global: two services imported into one process (tests, the cli)
    would otherwise share tables and confuse autogenerate.
    """
    return registry(metadata=MetaData(schema=schema, naming_convention=NAMING_CONVENTION))


def new_id() -> Any:
    """A UUIDv7: unique like a UUID4, but time-ordered, so keyset pages on id follow creation order."""
    return uuid_utils.uuid7()


class Tracked(SQLModel):
    """Columns every mutable row carries: `version` (behind its ETag) and when it was made and changed.

    Mix in before the service's base: `class VendorRow(VendorsBase, Tracked, table=True)`.
    """

    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )


def async_url(url: str) -> str:
    """postgresql://… as given by users and pgserver, in the form SQLAlchemy's asyncpg dialect wants.

    libpq's `sslmode` (as in most managed databases' connection strings) becomes asyncpg's `ssl`, which
    takes the same values: SQLAlchemy hands query parameters to asyncpg as keywords, and asyncpg has no
    `sslmode` keyword."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return url
    given = parse_qsl(parts.query, keep_blank_values=True)
    renamed = [("ssl" if name == "sslmode" else name, value) for name, value in given]
    query = urlencode(renamed, safe="/", quote_via=quote)
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=query))


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    connect_timeout: float | None = None,
    pool_timeout: float | None = None,
    statement_timeout: float | None = None,
    idle_in_transaction_timeout: float | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """The process's engine. The timeouts (seconds; None: unbounded, as for migrations and bulk loads)
    bound opening a connection, waiting for a pooled one, each statement and an idle open transaction.

    The statement and idle timeouts are PostgreSQL's own, sent as server settings when a connection
    opens (no round trip per request); work that must run longer raises its own bound with
    `SET LOCAL statement_timeout`, as reports do. No client-side `command_timeout`: it cannot be raised
    that way, and a request is bounded anyway by its deadline (`problems.RequestDeadlineMiddleware`)."""
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    server_settings: dict[str, str] = dict(connect_args.pop("server_settings", {}))
    for name, seconds in (
        ("statement_timeout", statement_timeout),
        ("idle_in_transaction_session_timeout", idle_in_transaction_timeout),
    ):
        if seconds is not None:
            server_settings[name] = str(round(seconds * 1000))  # milliseconds, PostgreSQL's unit
    if server_settings:
        connect_args["server_settings"] = server_settings
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if pool_timeout is not None:
        kwargs["pool_timeout"] = pool_timeout
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # JSONB columns come back through orjson: the stdlib decoder was an eighth of a page's cost.
        json_deserializer=orjson.loads,
        # No pre-ping: it costs a round trip on every checkout. A connection the server dropped fails
        # its query once and is discarded (SQLAlchemy invalidates it); recycling bounds their age.
        pool_recycle=1800,
        connect_args=connect_args,
        **kwargs,
    )
    event.listen(engine.sync_engine, "do_connect", _connect_or_unreachable)
    return engine


def _connect_or_unreachable(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as exc:
        raise DatabaseUnreachable(f"{type(exc).__name__}: {exc or 'no answer in time'}") from exc


# `session.info` flag of the sessions GET and HEAD requests get: they never write.
READS_ONLY = "reads_only"


def create_sessionmaker(engine: AsyncEngine, *, autocommit: bool = False) -> async_sessionmaker[AsyncSession]:
    if autocommit:
        return async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            info={READS_ONLY: True},
        )
    return async_sessionmaker(engine, expire_on_commit=False)


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncSession:
    """The request's session, opened by its route (`services.common.unit_of_work.UnitOfWorkRoute`) before
    the endpoint runs. A write's is committed and closed by the route (the unit of work). A read's runs in
    autocommit: no BEGIN and ROLLBACK around a lone SELECT, which would triple its round trips. A read of
    several statements is then not one snapshot: a read that needs one opens a transaction explicitly
    (`async with session.begin()`). A read's session is given back once its response has been sent, so a
    streamed answer (a CSV export) can read from it to the end.

    A plain dependency, not one with `yield`: FastAPI's machinery around a generator dependency (an exit
    stack entry, a shielded cancel scope) cost more than the one-row read it served."""
    try:
        session: AsyncSession = request.state.session
    except AttributeError:
        raise RuntimeError(
            f"{request.method} {request.url.path} has no session: make its router with `service_router`"
        ) from None
    return session


Session = Annotated[AsyncSession, Depends(get_session)]


class CompiledQuery:
    """A Core statement compiled once, at import, and run on a driver connection.

    For the hottest reads (one resource by id): SQLAlchemy still writes the SQL, so there is one source
    of truth for it, but is not asked to rebuild, re-key and re-process the statement on every call,
    which costs more than the query itself. Name the variable parts with `bindparam`.

    Where it runs: on the session's connection once the session has one, so inside a write transaction
    it sees that transaction's changes; in a read-only session that holds no connection yet, on a
    connection borrowed from the pool for this one statement and returned at once, which skips the
    session's own checkout and release (most of a one-row read's cost). The request still holds at most
    one connection at any moment, so the fair-admission slots stay one per request.
    Not for locking reads (FOR UPDATE): the transaction the lock lives in is opened by the session's
    own first statement, which this path does not issue.
    """

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_ASYNCPG_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())
        self._defaults = compiled.params  # the statement's own literals, bound by name too

    async def fetch_one(self, session: AsyncSession, **values: Any) -> dict[str, Any] | None:
        arguments = [values[name] if name in values else self._defaults[name] for name in self._names]
        bind = session.bind
        if session.info.get(READS_ONLY) and isinstance(bind, AsyncEngine) and not session.in_transaction():
            row = await _fetchrow_on_pool(bind, self.sql, arguments)
        else:
            connection = await session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            row = await driver.fetchrow(self.sql, *arguments)
        return dict(row) if row is not None else None


async def _fetchrow_on_pool(engine: AsyncEngine, sql: str, arguments: list[Any]) -> Any:
    pooled = await engine.raw_connection()
    driver = pooled.driver_connection
    assert driver is not None
    try:
        return await driver.fetchrow(sql, *arguments)
    except BaseException:
        # A connection the server dropped must not go back to the pool to fail someone else's read.
        if driver.is_closed():
            await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        await greenlet_spawn(pooled.close)


async def next_child_number(
    session: AsyncSession, number: ColumnElement[int], parent: ColumnElement[bool]
) -> int:
    """The next number of a per-parent sequence (1, 2, …): one more than the highest `number` among the
    rows matching `parent`. Call with the parent row locked, so numbers are issued one at a time."""
    issued: int | None = await session.scalar(select(func.coalesce(func.max(number), 0) + 1).where(parent))
    assert issued is not None  # max(...) + 1 over no rows is coalesced to 1
    return issued


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
