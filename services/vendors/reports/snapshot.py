"""How report SQL runs: compiled once per request, on the session's driver connection, in one snapshot.

A report may read several tables (payments, certifications, awards) and, for CSV, stream for a while:
it runs in a read-only REPEATABLE READ transaction, so every figure in it is of one instant, with the
memory to hash its aggregates in RAM (`work_mem`). SQLAlchemy still writes the SQL (one source of truth,
shared with the benchmark's bare run); the driver runs it without the ORM's per-row processing, which on
a large cube would cost more than the aggregation. Inside a transaction that is already open (a test's,
or a write), the statements join it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as AsyncpgDialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

from services.common.problems import ServiceUnavailable

_DIALECT = AsyncpgDialect()
# Per report transaction only (SET LOCAL): enough to hash a large cube's groups without spilling.
REPORT_WORK_MEM = "64MB"
# A report that would run longer is stopped and answered with a 503 rather than holding a connection.
REPORT_TIMEOUT = "30s"
CSV_FETCH_ROWS = 2000


def compile_statement(statement: Select[Any]) -> tuple[str, list[Any]]:
    """The statement's SQL with `$n` parameters, and their values in order."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    names = compiled.positiontup or []
    return str(compiled), [compiled.params[name] for name in names]


async def _driver(session: AsyncSession) -> asyncpg.Connection:
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


@asynccontextmanager
async def snapshot(session: AsyncSession) -> AsyncIterator[asyncpg.Connection]:
    driver = await _driver(session)
    if driver.is_in_transaction():
        yield driver
        return
    async with driver.transaction(isolation="repeatable_read", readonly=True):
        await driver.execute(
            f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'; SET LOCAL statement_timeout = '{REPORT_TIMEOUT}'"
        )
        try:
            yield driver
        except asyncpg.QueryCanceledError as exc:
            raise ServiceUnavailable(
                "The report took too long to compute. Narrow it (a fiscal year, fewer dimensions, a "
                "coarser category level) or ask for it again later."
            ) from exc


async def fetch(session: AsyncSession, *statements: Select[Any]) -> list[list[dict[str, Any]]]:
    """Each statement's rows, all read in one snapshot."""
    compiled = [compile_statement(statement) for statement in statements]
    async with snapshot(session) as driver:
        return [[dict(row) for row in await driver.fetch(sql, *args)] for sql, args in compiled]


async def stream(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[dict[str, Any]]:
    """The statement's rows through a server-side cursor, for output that should not sit in memory."""
    sql, args = compile_statement(statement)
    async with snapshot(session) as driver:
        async for row in driver.cursor(sql, *args, prefetch=CSV_FETCH_ROWS):
            yield dict(row)
