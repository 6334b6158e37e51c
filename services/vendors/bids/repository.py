"""Queries of bids and sealing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import Pager
from services.common.problems import Conflict
from services.vendors.bids.models import BidRow, SealingKeyRow
from services.vendors.bids.sealing import Sealer
from services.vendors.registry.models import VendorRow

bids: Table = BidRow.__table__  # type: ignore[attr-defined]
sealing_keys: Table = SealingKeyRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

LIVE_BID_INDEX = "uq_bids_solicitation_id_vendor_id_live"


async def insert_sealing_key(session: AsyncSession, solicitation_id: uuid.UUID, sealer: Sealer) -> None:
    await session.execute(
        insert(sealing_keys).values(
            solicitation_id=solicitation_id,
            master_key_id=sealer.master_key_id,
            wrapped_key=sealer.new_wrapped_key(),
        )
    )


async def sealing_key(
    session: AsyncSession, solicitation_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    statement = select(sealing_keys).where(sealing_keys.c.solicitation_id == solicitation_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().one()
    return dict(row)


async def release_key(
    session: AsyncSession, solicitation_id: uuid.UUID, data_key: str, now: datetime
) -> None:
    await session.execute(
        update(sealing_keys)
        .where(sealing_keys.c.solicitation_id == solicitation_id)
        .values(released_key=data_key, released_at=now)
    )


async def get(
    session: AsyncSession, solicitation_id: uuid.UUID, bid_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(bids).where(bids.c.id == bid_id, bids.c.solicitation_id == solicitation_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def live_bid_of(
    session: AsyncSession, solicitation_id: uuid.UUID, vendor_id: uuid.UUID
) -> uuid.UUID | None:
    bid_id: uuid.UUID | None = await session.scalar(
        select(bids.c.id).where(
            bids.c.solicitation_id == solicitation_id,
            bids.c.vendor_id == vendor_id,
            bids.c.status != "withdrawn",
        )
    )
    return bid_id


async def insert_bid(session: AsyncSession, values: dict[str, Any]) -> None:
    """Inside a savepoint: a concurrent second bid from the same vendor is a 409, not a failed request."""
    try:
        async with session.begin_nested():
            await session.execute(insert(bids).values(**values))
    except IntegrityError as exc:
        if LIVE_BID_INDEX not in str(exc.orig):
            raise
        raise Conflict(
            "This vendor already has a bid on this solicitation: replace it (PUT) or withdraw it first."
        ) from None


async def update_bid(session: AsyncSession, bid_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(bids).where(bids.c.id == bid_id).values(**values))


async def submitted_bids(session: AsyncSession, solicitation_id: uuid.UUID) -> list[dict[str, Any]]:
    """The bids the opening reads: submitted and not withdrawn, locked against any last change."""
    statement = (
        select(bids)
        .where(bids.c.solicitation_id == solicitation_id, bids.c.status == "submitted")
        .order_by(bids.c.id)
        .with_for_update()
    )
    return [dict(row) for row in (await session.execute(statement)).mappings().all()]


async def page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(bids).where(bids.c.solicitation_id == solicitation_id)
    return await pager.fetch(session, statement, [bids.c.id], {"solicitation_id": solicitation_id})


async def tabulated(session: AsyncSession, solicitation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Opened bids with their vendors' names, lowest total first, earliest submission breaking ties."""
    statement = (
        select(bids, vendors.c.legal_name.label("vendor_name"), vendors.c.vendor_number)
        .join(vendors, vendors.c.id == bids.c.vendor_id)
        .where(bids.c.solicitation_id == solicitation_id, bids.c.status.in_(("opened", "nonresponsive")))
        .order_by(bids.c.opened_total_amount, bids.c.submitted_at, bids.c.id)
    )
    return [dict(row) for row in (await session.execute(statement)).mappings().all()]
