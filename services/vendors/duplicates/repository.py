"""Writes of a merge that move records from the merged vendor to the survivor."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Table, and_, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.vendors.certifications.models import CertificationRow
from services.vendors.registry.repository import commodities
from services.vendors.tax.repository import tax_profiles

certifications: Table = CertificationRow.__table__  # type: ignore[attr-defined]


async def copy_commodity_codes(session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID) -> None:
    """The survivor gains the merged vendor's codes; the merged record keeps its own as history."""
    codes_of_merged = select(
        literal(survivor_id, commodities.c.vendor_id.type), commodities.c.scheme, commodities.c.code
    ).where(commodities.c.vendor_id == merged_id)
    await session.execute(
        insert(commodities)
        .from_select(["vendor_id", "scheme", "code"], codes_of_merged)
        .on_conflict_do_nothing()
    )


async def move_certifications(
    session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID, now: datetime
) -> tuple[int, int]:
    """Moves the merged vendor's certifications to the survivor, except certificates the survivor
    already holds (same type, agency and number), which stay behind. Returns (moved, kept)."""
    held = aliased(certifications)
    already_held = exists().where(
        and_(
            held.c.vendor_id == survivor_id,
            held.c.type == certifications.c.type,
            held.c.agency_code == certifications.c.agency_code,
            held.c.certificate_number == certifications.c.certificate_number,
        )
    )
    moved = await session.execute(
        update(certifications)
        .where(certifications.c.vendor_id == merged_id, ~already_held)
        .values(vendor_id=survivor_id, version=certifications.c.version + 1, updated_at=now)
        .returning(certifications.c.id)
    )
    moved_count = len(moved.all())
    kept = await session.scalar(
        select(func.count()).select_from(certifications).where(certifications.c.vendor_id == merged_id)
    )
    return moved_count, int(kept or 0)


async def move_tax_profile(
    session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(tax_profiles)
        .where(tax_profiles.c.vendor_id == merged_id)
        .values(vendor_id=survivor_id, version=tax_profiles.c.version + 1, updated_at=now)
    )
