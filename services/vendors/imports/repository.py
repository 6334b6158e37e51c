"""Queries of imports and of their error reports.

An asynchronous import's worker holds a transaction-level advisory lock for as long as it runs, keyed
on the import's id. A `processing` import nobody holds that lock for was interrupted (its process
stopped): its transaction rolled back, so nothing of it was loaded, and it reads as `failed`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Table,
    and_,
    case,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.pagination import Pager
from services.vendors.imports.models import ImportErrorRow, ImportRow

imports: Table = ImportRow.__table__  # type: ignore[attr-defined]
import_errors: Table = ImportErrorRow.__table__  # type: ignore[attr-defined]

# The advisory lock namespace (first key) of import workers; the second key is derived from the id.
WORKER_LOCK = 28_003
# Held from checking a payment file's lines against `payments` until its transaction ends: payment merges
# run one at a time, so each sees every line the one before it loaded (see payment_rows.merge).
PAYMENT_MERGE_LOCK = (28_004, 0)
# Held by the request that records an asynchronous import until it commits: the worker waits on it, so it
# merges only once the import's row is there to report on.
RECORDING_LOCK = 28_005
INTERRUPTED = (
    "The import was interrupted before it finished (the service stopped); nothing of it was loaded. "
    "Import the file again: rows already loaded are recognised, so repeating an import is safe."
)


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """An import as clients see it (`select_imports`)."""

    id: uuid.UUID
    kind: str
    status: str
    file_name: str | None
    file_bytes: int
    file_sha256: str
    rows_total: int | None
    rows_loaded: int
    rows_already_present: int
    rows_failed: int
    error_count: int
    matched_by_identifier: int | None
    matched_by_name: int | None
    failure: str | None
    submitted_by: str
    submitted_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ImportErrorRecord:
    import_id: uuid.UUID
    line: int
    position: int
    column_name: str | None
    code: str
    message: str


def worker_alive() -> ColumnElement[bool]:
    """SQL: whether some session holds the worker lock of the row's import."""
    return literal_column(
        # Constants only: nothing of a request is in this SQL.
        "EXISTS (SELECT 1 FROM pg_locks AS l WHERE l.locktype = 'advisory' AND l.granted "  # noqa: S608
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        f"AND l.classid = {WORKER_LOCK} "
        "AND l.objid::bigint = (hashtext(vendors.imports.id::text) & 2147483647))",
        Boolean,
    )


def select_imports() -> Select[Any]:
    """Imports as clients see them: a `processing` one without a live worker reads as `failed`."""
    interrupted = and_(imports.c.status == "processing", ~worker_alive())
    columns = [column for column in imports.c if column.name not in ("status", "failure")]
    return select(
        *columns,
        case((interrupted, literal("failed")), else_=imports.c.status).label("status"),
        case((interrupted, literal(INTERRUPTED)), else_=imports.c.failure).label("failure"),
    )


async def hold_worker_lock(session: AsyncSession, import_id: uuid.UUID) -> None:
    await _hold(session, WORKER_LOCK, import_id)


async def hold_recording_lock(session: AsyncSession, import_id: uuid.UUID) -> None:
    await _hold(session, RECORDING_LOCK, import_id)


async def wait_until_recorded(session: AsyncSession, import_id: uuid.UUID) -> bool:
    """Waits for the request recording the import to end; whether it committed the import's row."""
    await _hold(session, RECORDING_LOCK, import_id)
    found = await session.scalar(select(imports.c.id).where(imports.c.id == import_id))
    return found is not None


async def _hold(session: AsyncSession, namespace: int, import_id: uuid.UUID) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, hashtext(CAST(:import_id AS text)) & 2147483647)"),
        {"namespace": namespace, "import_id": str(import_id)},
    )


async def hold_payment_merge_lock(session: AsyncSession) -> None:
    namespace, key = PAYMENT_MERGE_LOCK
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": namespace, "key": key}
    )


async def insert_import(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(imports).values(**values))


async def update_import(session: AsyncSession, import_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(imports).where(imports.c.id == import_id).values(**values))


async def get(session: AsyncSession, import_id: uuid.UUID) -> ImportRecord | None:
    row = (await session.execute(select_imports().where(imports.c.id == import_id))).mappings().first()
    return ImportRecord(**row) if row is not None else None


async def first_errors(session: AsyncSession, import_id: uuid.UUID, limit: int) -> list[ImportErrorRecord]:
    statement = (
        select(import_errors)
        .where(import_errors.c.import_id == import_id)
        .order_by(import_errors.c.line, import_errors.c.position)
        .limit(limit)
    )
    return [ImportErrorRecord(**row) for row in (await session.execute(statement)).mappings()]


async def errors_page(
    session: AsyncSession, import_id: uuid.UUID, pager: Pager
) -> tuple[list[ImportErrorRecord], str | None]:
    statement = select(import_errors).where(import_errors.c.import_id == import_id)
    order = [import_errors.c.line, import_errors.c.position]
    rows, token = await pager.fetch(session, statement, order, {"import_id": import_id})
    return [ImportErrorRecord(**row) for row in rows], token


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[ImportRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [imports.c.id], filters)
    return [ImportRecord(**row) for row in rows], token
