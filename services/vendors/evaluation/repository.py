"""Queries of the evaluation: the opened bids with their vendors, the latest determinations and
scores, and the certifications that may earn preferences. One query each per solicitation: the
ranking of a hundred bids costs what the ranking of two does. Rows come back typed."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import Pager
from services.vendors.bids.models import BidRow
from services.vendors.bids.repository import BidRecord
from services.vendors.certifications.validity import certifications, valid_on
from services.vendors.contracts import CertificationType
from services.vendors.evaluation.models import DeterminationRow, ScoreRow
from services.vendors.registry.models import VendorRow

bids: Table = BidRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
determinations: Table = DeterminationRow.__table__  # type: ignore[attr-defined]
scores: Table = ScoreRow.__table__  # type: ignore[attr-defined]

OPENED = ("opened", "nonresponsive")


@dataclass(frozen=True, slots=True)
class OpenedBidRecord:
    """An opened bid with its vendor's name, number and registry status now: what the ranking reads."""

    id: uuid.UUID
    vendor_id: uuid.UUID
    status: str
    submitted_at: datetime
    opened_total_amount: Decimal
    opened_total_currency: str
    missing_addenda: list[str]
    vendor_name: str
    vendor_number: str
    vendor_status: str


@dataclass(frozen=True, slots=True)
class DeterminationRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    kind: str
    outcome: str
    reason: str
    vendor_status: str | None
    determined_by: str
    determined_at: datetime


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    criterion: str
    points: Decimal
    comment: str | None
    scored_by: str
    scored_at: datetime


@dataclass(frozen=True, slots=True)
class HeldCertification:
    vendor_id: uuid.UUID
    type: str
    id: uuid.UUID


async def opened_bids(session: AsyncSession, solicitation_id: uuid.UUID) -> list[OpenedBidRecord]:
    """The solicitation's opened bids with their vendors' names and registry status now."""
    statement = (
        select(
            bids.c.id,
            bids.c.vendor_id,
            bids.c.status,
            bids.c.submitted_at,
            bids.c.opened_total_amount,
            bids.c.opened_total_currency,
            bids.c.missing_addenda,
            vendors.c.legal_name.label("vendor_name"),
            vendors.c.vendor_number,
            vendors.c.status.label("vendor_status"),
        )
        .join(vendors, vendors.c.id == bids.c.vendor_id)
        .where(bids.c.solicitation_id == solicitation_id, bids.c.status.in_(OPENED))
        .order_by(bids.c.id)
    )
    return [OpenedBidRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def bid(session: AsyncSession, solicitation_id: uuid.UUID, bid_id: uuid.UUID) -> BidRecord | None:
    statement = select(bids).where(bids.c.id == bid_id, bids.c.solicitation_id == solicitation_id)
    row = (await session.execute(statement)).mappings().first()
    return BidRecord(**row) if row is not None else None


async def latest_determinations(
    session: AsyncSession, solicitation_id: uuid.UUID
) -> list[DeterminationRecord]:
    """The latest determination of each kind for each bid (ids are time-ordered)."""
    statement = (
        select(determinations)
        .where(determinations.c.solicitation_id == solicitation_id)
        .ext(distinct_on(determinations.c.bid_id, determinations.c.kind))
        .order_by(determinations.c.bid_id, determinations.c.kind, determinations.c.id.desc())
    )
    return [DeterminationRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def latest_determination(
    session: AsyncSession, bid_id: uuid.UUID, kind: str
) -> DeterminationRecord | None:
    statement = (
        select(determinations)
        .where(determinations.c.bid_id == bid_id, determinations.c.kind == kind)
        .order_by(determinations.c.id.desc())
        .limit(1)
    )
    row = (await session.execute(statement)).mappings().first()
    return DeterminationRecord(**row) if row is not None else None


async def latest_scores(session: AsyncSession, solicitation_id: uuid.UUID) -> list[ScoreRecord]:
    """The latest score of each criterion for each bid."""
    statement = (
        select(scores)
        .where(scores.c.solicitation_id == solicitation_id)
        .ext(distinct_on(scores.c.bid_id, scores.c.criterion))
        .order_by(scores.c.bid_id, scores.c.criterion, scores.c.id.desc())
    )
    return [ScoreRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def certifications_held(
    session: AsyncSession,
    vendor_ids: Collection[uuid.UUID],
    day: date,
    types: Collection[CertificationType],
) -> list[HeldCertification]:
    """Certifications of the given types valid on `day`; only the types that can count are read."""
    if not vendor_ids or not types:
        return []
    c = certifications.c
    statement = (
        select(c.vendor_id, c.type, c.id)
        .where(c.vendor_id.in_(list(vendor_ids)), c.type.in_([t.value for t in types]), valid_on(day))
        .order_by(c.vendor_id, c.type, c.id)
    )
    return [HeldCertification(**row) for row in (await session.execute(statement)).mappings().all()]


async def insert_determination(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(determinations).values(**values))


async def insert_score(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(scores).values(**values))


async def get_determination(
    session: AsyncSession, bid_id: uuid.UUID, determination_id: uuid.UUID
) -> DeterminationRecord | None:
    statement = select(determinations).where(
        determinations.c.id == determination_id, determinations.c.bid_id == bid_id
    )
    row = (await session.execute(statement)).mappings().first()
    return DeterminationRecord(**row) if row is not None else None


async def get_score(session: AsyncSession, bid_id: uuid.UUID, score_id: uuid.UUID) -> ScoreRecord | None:
    statement = select(scores).where(scores.c.id == score_id, scores.c.bid_id == bid_id)
    row = (await session.execute(statement)).mappings().first()
    return ScoreRecord(**row) if row is not None else None


async def determinations_page(
    session: AsyncSession, bid_id: uuid.UUID, pager: Pager
) -> tuple[list[DeterminationRecord], str | None]:
    statement = select(determinations).where(determinations.c.bid_id == bid_id)
    rows, token = await pager.fetch(session, statement, [determinations.c.id], {"bid_id": bid_id})
    return [DeterminationRecord(**row) for row in rows], token


async def scores_page(
    session: AsyncSession, bid_id: uuid.UUID, pager: Pager
) -> tuple[list[ScoreRecord], str | None]:
    statement = select(scores).where(scores.c.bid_id == bid_id)
    rows, token = await pager.fetch(session, statement, [scores.c.id], {"bid_id": bid_id})
    return [ScoreRecord(**row) for row in rows], token
