"""Queries of bids and sealing keys, returning typed rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
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

# The opened bid's sealed content as the opening stores it in a JSON column: `BidSealedContent`'s JSON
# form, read back only through that contract (`opening.opened_content`), so not typed field by field here.
OpenedContent = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BidRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    status: str
    submitted_by: str
    submitted_at: datetime
    acknowledged_addenda: list[str]
    sealed_payload: str | None
    receipt_hash: str | None
    withdrawn_at: datetime | None
    opened_total_amount: Decimal | None
    opened_total_currency: str | None
    opened_content: OpenedContent | None
    missing_addenda: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TabulatedBidRecord:
    """An opened bid with its vendor's name and number, as the tabulation publishes it."""

    id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str
    vendor_number: str
    status: str
    opened_total_amount: Decimal
    opened_total_currency: str
    submitted_at: datetime
    acknowledged_addenda: list[str]
    missing_addenda: list[str]
    sealed_payload: str | None
    receipt_hash: str | None


@dataclass(frozen=True, slots=True)
class SealingKeyRecord:
    solicitation_id: uuid.UUID
    master_key_id: str
    wrapped_key: str
    released_key: str | None
    released_at: datetime | None
    created_at: datetime


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
) -> SealingKeyRecord:
    statement = select(sealing_keys).where(sealing_keys.c.solicitation_id == solicitation_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().one()
    return SealingKeyRecord(**row)


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
) -> BidRecord | None:
    statement = select(bids).where(bids.c.id == bid_id, bids.c.solicitation_id == solicitation_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return BidRecord(**row) if row is not None else None


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


@asynccontextmanager
async def one_live_bid_per_vendor(session: AsyncSession) -> AsyncIterator[None]:
    """Runs a bid's insert in a savepoint: a concurrent second bid from the same vendor is a 409, not a
    failed request."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        if LIVE_BID_INDEX not in str(exc.orig):
            raise
        raise Conflict(
            "This vendor already has a bid on this solicitation: replace it (PUT) or withdraw it first."
        ) from None


async def submitted_bids(session: AsyncSession, solicitation_id: uuid.UUID) -> list[BidRecord]:
    """The bids the opening reads: submitted and not withdrawn, locked against any last change."""
    statement = (
        select(bids)
        .where(bids.c.solicitation_id == solicitation_id, bids.c.status == "submitted")
        .order_by(bids.c.id)
        .with_for_update()
    )
    return [BidRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[BidRecord], str | None]:
    statement = select(bids).where(bids.c.solicitation_id == solicitation_id)
    rows, token = await pager.fetch(session, statement, [bids.c.id], {"solicitation_id": solicitation_id})
    return [BidRecord(**row) for row in rows], token


async def tabulated(session: AsyncSession, solicitation_id: uuid.UUID) -> list[TabulatedBidRecord]:
    """Opened bids with their vendors' names, lowest total first, earliest submission breaking ties."""
    b = bids.c
    statement = (
        select(
            b.id,
            b.vendor_id,
            vendors.c.legal_name.label("vendor_name"),
            vendors.c.vendor_number,
            b.status,
            b.opened_total_amount,
            b.opened_total_currency,
            b.submitted_at,
            b.acknowledged_addenda,
            b.missing_addenda,
            b.sealed_payload,
            b.receipt_hash,
        )
        .join(vendors, vendors.c.id == bids.c.vendor_id)
        .where(bids.c.solicitation_id == solicitation_id, bids.c.status.in_(("opened", "nonresponsive")))
        .order_by(bids.c.opened_total_amount, bids.c.submitted_at, bids.c.id)
    )
    return [TabulatedBidRecord(**row) for row in (await session.execute(statement)).mappings().all()]
