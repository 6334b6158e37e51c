"""Queries of awards and protests, returning typed rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.pagination import Pager
from services.common.problems import Conflict
from services.vendors.awards.models import AwardRow, ProtestRow
from services.vendors.bids.models import BidRow

awards: Table = AwardRow.__table__  # type: ignore[attr-defined]
protests: Table = ProtestRow.__table__  # type: ignore[attr-defined]
bids: Table = BidRow.__table__  # type: ignore[attr-defined]

LIVE_STATUSES = ("intent", "stayed", "active")
LIVE_AWARD_INDEX = "uq_awards_solicitation_id_live"
PENDING_PROTEST_INDEX = "uq_protests_award_id_vendor_id_pending"


@dataclass(frozen=True, slots=True)
class AwardRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    vendor_id: uuid.UUID
    rank: int
    status: str
    amount: Decimal
    currency: str
    intent_notified_at: datetime
    protest_window_ends_on: date
    award_date: date | None
    decision_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProtestRecord:
    id: uuid.UUID
    award_id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    grounds: str
    filed_by: str
    filed_at: datetime
    timely: bool
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


# Awards


async def award_by_id(
    session: AsyncSession, award_id: uuid.UUID, *, for_update: bool = False
) -> AwardRecord | None:
    statement = select(awards).where(awards.c.id == award_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return AwardRecord(**row) if row is not None else None


async def live_award(
    session: AsyncSession, solicitation_id: uuid.UUID, *, for_update: bool = False
) -> AwardRecord | None:
    statement = select(awards).where(
        awards.c.solicitation_id == solicitation_id, awards.c.status.in_(LIVE_STATUSES)
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return AwardRecord(**row) if row is not None else None


@asynccontextmanager
async def one_live_award(session: AsyncSession) -> AsyncIterator[None]:
    """Runs an award's insert in a savepoint: a concurrent second intent on the same solicitation is a
    409, not a 500."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        if LIVE_AWARD_INDEX not in str(exc.orig):
            raise
        raise Conflict("This solicitation already has an award in its protest window or in force.") from None


async def rejected_bid_ids(session: AsyncSession, solicitation_id: uuid.UUID) -> set[uuid.UUID]:
    statement = select(awards.c.bid_id).where(
        awards.c.solicitation_id == solicitation_id, awards.c.status == "rejected"
    )
    return set((await session.scalars(statement)).all())


def select_awards() -> Select[Any]:
    return select(awards)


def filter_awards(statement: Select[Any], column: str, values: list[Any]) -> Select[Any]:
    return statement.where(awards.c[column].in_(values))


def awards_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(awards.c.updated_at >= since)


async def awards_page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[AwardRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [awards.c.id], filters)
    return [AwardRecord(**row) for row in rows], token


# Protests


async def get_protest(
    session: AsyncSession, protest_id: uuid.UUID, *, for_update: bool = False
) -> ProtestRecord | None:
    statement = select(protests).where(protests.c.id == protest_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return ProtestRecord(**row) if row is not None else None


@asynccontextmanager
async def one_pending_protest_per_vendor(session: AsyncSession) -> AsyncIterator[None]:
    """Runs a protest's insert in a savepoint: a second pending protest of one bidder on one award is a
    409."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        if PENDING_PROTEST_INDEX not in str(exc.orig):
            raise
        raise Conflict(
            "This vendor already has a protest pending on this award: it is heard with all its grounds."
        ) from None


async def pending_protests(
    session: AsyncSession, award_id: uuid.UUID, *, for_update: bool = False
) -> list[ProtestRecord]:
    statement = (
        select(protests)
        .where(protests.c.award_id == award_id, protests.c.status == "pending")
        .order_by(protests.c.id)
    )
    if for_update:
        statement = statement.with_for_update()
    return [ProtestRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def pending_protest_of(
    session: AsyncSession, award_id: uuid.UUID, vendor_id: uuid.UUID
) -> uuid.UUID | None:
    protest_id: uuid.UUID | None = await session.scalar(
        select(protests.c.id).where(
            protests.c.award_id == award_id,
            protests.c.vendor_id == vendor_id,
            protests.c.status == "pending",
        )
    )
    return protest_id


async def opened_bid_count(session: AsyncSession, solicitation_id: uuid.UUID, vendor_id: uuid.UUID) -> int:
    """How many of the vendor's bids on the solicitation were opened: a protest needs one (standing)."""
    count: int | None = await session.scalar(
        select(func.count()).where(
            bids.c.solicitation_id == solicitation_id,
            bids.c.vendor_id == vendor_id,
            bids.c.status.in_(("opened", "nonresponsive")),
        )
    )
    return count or 0


def select_protests() -> Select[Any]:
    return select(protests)


def filter_protests(statement: Select[Any], column: str, values: list[Any]) -> Select[Any]:
    return statement.where(protests.c[column].in_(values))


async def protests_page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[ProtestRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [protests.c.id], filters)
    return [ProtestRecord(**row) for row in rows], token
