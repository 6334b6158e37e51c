"""How report SQL runs: compiled once per request, on the session's driver connection, in one snapshot.

A report may read several tables (payments, certifications, awards) and, for CSV, stream for a while:
it runs in a read-only REPEATABLE READ transaction, so every figure in it is of one instant, with the
memory to hash its aggregates in RAM (`work_mem`). SQLAlchemy still writes the SQL (one source of truth,
shared with the benchmark's bare run); the driver runs it without the ORM's per-row processing, which on
a large cube would cost more than the aggregation. Inside a transaction that is already open (a test's,
or a write), the statements join it.

Rows come back as the report's named row (a `NamedTuple`): typed attributes, built by position from the
driver's record. A frozen dataclass built by keyword costs three to four times what the `dict` of the
record did, per row of a cube; the named row costs less than the `dict`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, TypeVar

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

Row = TypeVar("Row", bound=NamedTuple)


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


def row_maker(row_type: type[Row], statement: Select[Any]) -> Callable[[asyncpg.Record], Row]:
    """Builds `row_type` from the statement's records by position. A field the statement does not select
    (a key the report was not grouped by) is None; a column the row type has no field for is an error
    here, on every call, not only when a row comes back."""
    columns: Sequence[str] = list(statement.selected_columns.keys())
    fields: tuple[str, ...] = row_type._fields
    unknown = set(columns) - set(fields)
    if unknown:
        raise TypeError(f"{row_type.__name__} has no field for the columns {sorted(unknown)}")
    positions = [columns.index(name) if name in columns else None for name in fields]
    make = row_type._make
    return lambda record: make([None if at is None else record[at] for at in positions])


async def fetch(session: AsyncSession, row_type: type[Row], *statements: Select[Any]) -> list[list[Row]]:
    """Each statement's rows, all read in one snapshot."""
    compiled = [(compile_statement(statement), row_maker(row_type, statement)) for statement in statements]
    async with snapshot(session) as driver:
        return [[make(row) for row in await driver.fetch(sql, *args)] for (sql, args), make in compiled]


async def stream(session: AsyncSession, statement: Select[Any], row_type: type[Row]) -> AsyncIterator[Row]:
    """The statement's rows through a server-side cursor, for output that should not sit in memory."""
    sql, args = compile_statement(statement)
    make = row_maker(row_type, statement)
    async with snapshot(session) as driver:
        async for row in driver.cursor(sql, *args, prefetch=CSV_FETCH_ROWS):
            yield make(row)
