"""Reads and writes of a merge that carry records over from the merged vendor to the survivor."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, and_, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.vendors.certifications.models import CertificationRow
from services.vendors.registry.repository import commodities

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


async def certifications_to_move(
    session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> list[tuple[uuid.UUID, int]]:
    """The merged vendor's certifications (id, version), locked, except certificates the survivor already
    holds (same type, agency and number), which stay behind."""
    held = aliased(certifications)
    already_held = exists().where(
        and_(
            held.c.vendor_id == survivor_id,
            held.c.type == certifications.c.type,
            held.c.agency_code == certifications.c.agency_code,
            held.c.certificate_number == certifications.c.certificate_number,
        )
    )
    statement = (
        select(certifications.c.id, certifications.c.version)
        .where(certifications.c.vendor_id == merged_id, ~already_held)
        .order_by(certifications.c.id)
        .with_for_update(of=certifications)
    )
    return [(row.id, row.version) for row in await session.execute(statement)]


async def certification_count(session: AsyncSession, vendor_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(certifications).where(certifications.c.vendor_id == vendor_id)
    )
    return int(count or 0)
