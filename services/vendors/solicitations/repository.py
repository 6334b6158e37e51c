"""Queries of solicitations, addenda and questions: the SQL in one place.

The status a client sees is computed here, in SQL, from the stored status and the request's clock, so
that a list filtered on `status=open` and a single read agree with every rule that checks the window.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.db import next_child_number
from services.common.pagination import Pager
from services.vendors.bids.models import BidRow
from services.vendors.registry.models import VendorRow
from services.vendors.solicitations.models import (
    AddendumRow,
    QuestionRow,
    SolicitationRow,
    solicitation_number_sequence,
)

solicitations: Table = SolicitationRow.__table__  # type: ignore[attr-defined]
addenda: Table = AddendumRow.__table__  # type: ignore[attr-defined]
questions: Table = QuestionRow.__table__  # type: ignore[attr-defined]
bids: Table = BidRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]


def at(now: datetime) -> ColumnElement[datetime]:
    return literal(now, DateTime(timezone=True))


def effective_status(now: datetime) -> ColumnElement[str]:
    """`published` reads as `open` from the tender period's start and `closed` from its end."""
    s = solicitations
    published = s.c.status == "published"
    return case(
        (and_(published, s.c.tender_period_end <= at(now)), "closed"),
        (and_(published, s.c.tender_period_start <= at(now)), "open"),
        else_=s.c.status,
    )


# Bids received and not withdrawn, shown only once opened or when the solicitation discloses them.
_bid_count = (
    select(func.count())
    .where(bids.c.solicitation_id == solicitations.c.id, bids.c.status != "withdrawn")
    .scalar_subquery()
)
_visible_bid_count = case(
    (
        (solicitations.c.disclose_bid_count.is_(True)) | (solicitations.c.opened_at.is_not(None)),
        _bid_count,
    ),
    else_=None,
)


def select_solicitations(now: datetime) -> Select[Any]:
    stored = [column for column in solicitations.c if column.name != "status"]
    return select(
        *stored,
        effective_status(now).label("status"),
        solicitations.c.status.label("stored_status"),
        _visible_bid_count.label("bid_count"),
    )


async def get(
    session: AsyncSession, solicitation_id: uuid.UUID, now: datetime, *, lock: str | None = None
) -> dict[str, Any] | None:
    """`lock="update"` for a change to the solicitation; `"share"` to keep it from changing (a bid)."""
    statement = select_solicitations(now).where(solicitations.c.id == solicitation_id)
    if lock is not None:
        statement = statement.with_for_update(of=solicitations, read=lock == "share")
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def next_number(session: AsyncSession) -> int:
    number: int = await session.scalar(solicitation_number_sequence.next_value())
    return number


async def insert_solicitation(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(solicitations).values(**values))


async def update_solicitation(
    session: AsyncSession, solicitation_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(update(solicitations).where(solicitations.c.id == solicitation_id).values(**values))


def only_published(statement: Select[Any]) -> Select[Any]:
    """What the public sees: solicitations that were published (drafts never were)."""
    return statement.where(solicitations.c.published_at.is_not(None))


def filter_by_status(statement: Select[Any], statuses: list[str], now: datetime) -> Select[Any]:
    return statement.where(effective_status(now).in_(statuses))


def filter_by_column(statement: Select[Any], column: str, values: list[str]) -> Select[Any]:
    return statement.where(solicitations.c[column].in_(values))


def filter_by_commodity(statement: Select[Any], scheme: str, code_prefix: str) -> Select[Any]:
    """Any item classified at or below `code_prefix` in the scheme's hierarchy."""
    code = func.unnest(solicitations.c.classification_codes).table_valued("code").render_derived()
    return statement.where(
        exists().select_from(code).where(code.c.code.startswith(f"{scheme}:{code_prefix}", autoescape=True))
    )


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(solicitations.c.updated_at >= since)


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    return await pager.fetch(session, statement, [solicitations.c.id], filters)


# Addenda


async def next_addendum_number(session: AsyncSession, solicitation_id: uuid.UUID) -> int:
    """Call with the solicitation locked."""
    return await next_child_number(session, addenda.c.number, addenda.c.solicitation_id == solicitation_id)


async def insert_addendum(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(addenda).values(**values))


async def addenda_of(session: AsyncSession, solicitation_id: uuid.UUID) -> list[dict[str, Any]]:
    statement = select(addenda).where(addenda.c.solicitation_id == solicitation_id).order_by(addenda.c.number)
    return [dict(row) for row in (await session.execute(statement)).mappings().all()]


async def addenda_page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(addenda).where(addenda.c.solicitation_id == solicitation_id)
    return await pager.fetch(session, statement, [addenda.c.number], {"solicitation_id": solicitation_id})


# Questions


async def next_question_number(session: AsyncSession, solicitation_id: uuid.UUID) -> int:
    """Call with the solicitation locked."""
    return await next_child_number(
        session, questions.c.number, questions.c.solicitation_id == solicitation_id
    )


async def insert_question(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(questions).values(**values))


async def get_question(
    session: AsyncSession, solicitation_id: uuid.UUID, question_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(questions).where(
        questions.c.id == question_id, questions.c.solicitation_id == solicitation_id
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def update_question(session: AsyncSession, question_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(questions).where(questions.c.id == question_id).values(**values))


async def questions_page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(questions).where(questions.c.solicitation_id == solicitation_id)
    return await pager.fetch(session, statement, [questions.c.number], {"solicitation_id": solicitation_id})


# Vendors, as bidders
