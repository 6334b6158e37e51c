"""The staging table: the upload copied in as text, one row per CSV record, numbered in file order.

A temporary table of the session's transaction (dropped at its end, so nothing is left on a pooled
connection), with a text column for every documented column of the kind: COPY fills those the header
names and leaves the rest null. `line` comes from an identity column that COPY advances record by
record, starting at 2 because the header is line 1.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.contracts import CsvColumn
from services.vendors.imports.problems import InvalidCsv
from services.vendors.imports.upload import CsvUpload

STAGE = "import_stage"
# PostgreSQL names the failing line of a COPY in the error's context: "COPY import_stage, line 57: …".
_COPY_LINE = re.compile(r"line ([0-9]+)")
# Class 22 (data exception) and 54000 (a field or line too long): what a malformed file provokes.
_FILE_ERRORS = ("22", "54000")


async def driver_connection(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside its transaction (opened by a statement beforehand)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def create_stage(session: AsyncSession, columns: tuple[CsvColumn, ...]) -> None:
    definitions = ", ".join(f'"{column.name}" text' for column in columns)
    await session.execute(
        text(
            f"CREATE TEMPORARY TABLE {STAGE} ("
            f"line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), {definitions}) ON COMMIT DROP"
        )
    )


async def copy_upload(session: AsyncSession, upload: CsvUpload, header: list[str]) -> int:
    """COPYs the rows after the header into the stage; returns how many there were."""
    driver = await driver_connection(session)
    try:
        status = await driver.copy_to_table(
            STAGE, source=upload.rows(), columns=header, format="csv", encoding="utf8"
        )
    except asyncpg.PostgresError as exc:
        if not str(exc.sqlstate or "").startswith(_FILE_ERRORS):
            raise
        raise _invalid_file(exc) from None
    # Temporary tables are never analysed by autovacuum; the checks that follow join on them.
    await session.execute(text(f"ANALYZE {STAGE}"))
    return int(status.split()[-1])


def _invalid_file(exc: asyncpg.PostgresError) -> InvalidCsv:
    """The database's reason, with the file's line number (COPY counts from the row after the header).
    The offending text itself, which the database quotes in its context, is not repeated."""
    found = _COPY_LINE.search(getattr(exc, "context", None) or "")
    line = int(found.group(1)) + 1 if found else None
    reason = str(exc.args[0]) if exc.args else "unreadable"
    if "unterminated CSV quoted field" in reason:
        # PostgreSQL notices only where the file ends, still inside the quote.
        return InvalidCsv(
            f"A quoted value is never closed: the file ends inside it (line {line}).", line=line
        )
    where = f"Line {line}" if line else "The file"
    return InvalidCsv(f"{where} cannot be read as CSV of this import's columns: {reason}.", line=line)


async def drop_stage(session: AsyncSession) -> None:
    await session.execute(text(f"DROP TABLE IF EXISTS {STAGE}"))
