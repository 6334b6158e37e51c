"""Queries of certifications and certifying agencies: SQL in one place, rows out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from services.common.pagination import Pager
from services.vendors.certifications.models import CertifyingAgencyRow
from services.vendors.certifications.validity import certifications
from services.vendors.registry.models import VendorRow

agencies: Table = CertifyingAgencyRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

# What makes two certificates the same one (the table's unique constraint).
IDENTITY = ("vendor_id", "type", "agency_code", "certificate_number")
_LIST_COLUMNS = [
    *certifications.c,
    vendors.c.vendor_number,
    vendors.c.legal_name.label("vendor_legal_name"),
]


async def get(
    session: AsyncSession, certification_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(certifications).where(certifications.c.id == certification_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def agency_exists(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(agencies.c.code).where(agencies.c.code == code)) is not None


async def insert_unless_duplicate(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False, and nothing written, when the same certificate is already recorded for the vendor."""
    statement = (
        insert(certifications)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(IDENTITY))
        .returning(certifications.c.id)
    )
    return (await session.scalar(statement)) is not None


async def find_same(
    session: AsyncSession, identity: dict[str, Any], *, other_than: uuid.UUID | None = None
) -> uuid.UUID | None:
    statement = select(certifications.c.id).where(
        *(certifications.c[name] == identity[name] for name in IDENTITY)
    )
    if other_than is not None:
        statement = statement.where(certifications.c.id != other_than)
    found: uuid.UUID | None = await session.scalar(statement)
    return found


async def update(session: AsyncSession, certification_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        certifications.update().where(certifications.c.id == certification_id).values(**values)
    )


def select_with_vendor() -> Select[Any]:
    return select(*_LIST_COLUMNS).join(vendors, vendors.c.id == certifications.c.vendor_id)


def select_of_vendor(vendor_id: uuid.UUID) -> Select[Any]:
    return select(certifications).where(certifications.c.vendor_id == vendor_id)


async def page(
    session: AsyncSession,
    statement: Select[Any],
    pager: Pager,
    filters: dict[str, Any],
    order_by: Sequence[ColumnElement[Any]],
) -> tuple[list[dict[str, Any]], str | None]:
    """`order_by` ends with the id; the page token carries the values of the same columns."""
    return await pager.fetch(session, statement, order_by, filters)


async def agencies_page(session: AsyncSession, pager: Pager) -> tuple[list[dict[str, Any]], str | None]:
    return await pager.fetch(session, select(agencies), [agencies.c.code], {})


def updated_since(since: datetime) -> ColumnElement[bool]:
    return certifications.c.updated_at >= since
