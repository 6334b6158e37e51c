"""Queries of imports and of their error reports.

An asynchronous import's worker holds a transaction-level advisory lock for as long as it runs, keyed
on the import's id. A `processing` import nobody holds that lock for was interrupted (its process
stopped): its transaction rolled back, so nothing of it was loaded, and it reads as `failed`.
"""

from __future__ import annotations

import uuid
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
INTERRUPTED = (
    "The import was interrupted before it finished (the service stopped); nothing of it was loaded. "
    "Import the file again: rows already loaded are recognised, so repeating an import is safe."
)


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
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, hashtext(CAST(:import_id AS text)) & 2147483647)"),
        {"namespace": WORKER_LOCK, "import_id": str(import_id)},
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


async def get(session: AsyncSession, import_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(select_imports().where(imports.c.id == import_id))).mappings().first()
    return dict(row) if row is not None else None


async def first_errors(session: AsyncSession, import_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
    statement = (
        select(import_errors)
        .where(import_errors.c.import_id == import_id)
        .order_by(import_errors.c.line, import_errors.c.position)
        .limit(limit)
    )
    return [dict(row) for row in (await session.execute(statement)).mappings()]


async def errors_page(
    session: AsyncSession, import_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(import_errors).where(import_errors.c.import_id == import_id)
    order = [import_errors.c.line, import_errors.c.position]
    return await pager.fetch(session, statement, order, {"import_id": import_id})


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    return await pager.fetch(session, statement, [imports.c.id], filters)
