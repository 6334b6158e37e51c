"""Queries of tax profiles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.registry.repository import vendors
from services.vendors.tax.models import TaxProfileRow

tax_profiles: Table = TaxProfileRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class TaxProfileRecord:
    vendor_id: uuid.UUID
    tin_type: str
    tin_ciphertext: str
    tin_last4: str
    tin_fingerprint: str
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TinHolder:
    """The vendor whose profile holds a TIN."""

    id: uuid.UUID
    vendor_number: str


async def get_profile(
    session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False
) -> TaxProfileRecord | None:
    statement = select(tax_profiles).where(tax_profiles.c.vendor_id == vendor_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return TaxProfileRecord(**row) if row is not None else None


async def holder_of_fingerprint(
    session: AsyncSession, fingerprint: str, *, other_than: uuid.UUID
) -> TinHolder | None:
    """The vendor (id, vendor_number) whose profile has this fingerprint, other than `other_than`."""
    statement = (
        select(vendors.c.id, vendors.c.vendor_number)
        .join(tax_profiles, tax_profiles.c.vendor_id == vendors.c.id)
        .where(tax_profiles.c.tin_fingerprint == fingerprint, vendors.c.id != other_than)
    )
    row = (await session.execute(statement)).mappings().first()
    return TinHolder(**row) if row is not None else None


async def delete_profile(session: AsyncSession, vendor_id: uuid.UUID) -> None:
    await session.execute(delete(tax_profiles).where(tax_profiles.c.vendor_id == vendor_id))
