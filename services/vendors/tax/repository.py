"""Queries of tax profiles."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.registry.repository import vendors
from services.vendors.tax.models import TaxProfileRow

tax_profiles: Table = TaxProfileRow.__table__  # type: ignore[attr-defined]


async def get_profile(
    session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(tax_profiles).where(tax_profiles.c.vendor_id == vendor_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def holder_of_fingerprint(
    session: AsyncSession, fingerprint: str, *, other_than: uuid.UUID
) -> dict[str, Any] | None:
    """The vendor (id, vendor_number) whose profile has this fingerprint, other than `other_than`."""
    statement = (
        select(vendors.c.id, vendors.c.vendor_number)
        .join(tax_profiles, tax_profiles.c.vendor_id == vendors.c.id)
        .where(tax_profiles.c.tin_fingerprint == fingerprint, vendors.c.id != other_than)
    )
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def insert_profile(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(tax_profiles).values(**values))


async def update_profile(session: AsyncSession, vendor_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(tax_profiles.update().where(tax_profiles.c.vendor_id == vendor_id).values(**values))


async def delete_profile(session: AsyncSession, vendor_id: uuid.UUID) -> None:
    await session.execute(delete(tax_profiles).where(tax_profiles.c.vendor_id == vendor_id))
