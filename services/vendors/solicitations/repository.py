"""Queries of solicitations, addenda and questions: the SQL in one place, returning typed rows.

The status a client sees is computed here, in SQL, from the stored status and the request's clock, so
that a list filtered on `status=open` and a single read agree with every rule that checks the window.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Table,
    and_,
    case,
    column,
    exists,
    func,
    insert,
    literal,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.db import next_child_number
from services.common.pagination import Pager
from services.vendors.solicitations.models import (
    AddendumRow,
    QuestionRow,
    SolicitationRow,
    solicitation_number_sequence,
)

solicitations: Table = SolicitationRow.__table__  # type: ignore[attr-defined]
addenda: Table = AddendumRow.__table__  # type: ignore[attr-defined]
questions: Table = QuestionRow.__table__  # type: ignore[attr-defined]
# The bids table as far as the bid count reads it. Bids build on solicitations (services.vendors.bids
# imports this domain), so the two columns are named here rather than imported from the bids models.
bids = table("bids", column("solicitation_id"), column("status"), schema="vendors")


class StoredCode(TypedDict):
    scheme: str
    code: str


class StoredItem(TypedDict):
    """An item as the `items` JSON column holds it: a `SolicitationItem`'s JSON form (the quantity a
    decimal string), which the contract validated on the way in. Older rows may lack
    `additional_classifications`."""

    id: str
    description: str
    classification: StoredCode
    additional_classifications: NotRequired[list[StoredCode]]
    quantity: str
    unit: str


class StoredCriterion(TypedDict):
    """An evaluation criterion as the `evaluation_criteria` JSON column holds it: an
    `EvaluationCriterion`'s JSON form."""

    key: str
    name: str
    kind: str
    weight: int


@dataclass(frozen=True, slots=True)
class SolicitationRecord:
    """A solicitation as `select_solicitations` reads it: `status` as a client sees it at the request's
    instant, `stored_status` as written, `bid_count` only where it may be shown."""

    id: uuid.UUID
    reference: str
    ocid: str
    title: str
    description: str | None
    type: str
    main_category: str
    buyer_department: str
    estimated_value_amount: Decimal | None
    estimated_value_currency: str | None
    funding_source: str
    items: list[StoredItem]
    classification_codes: list[str]
    enquiry_period_start: datetime | None
    enquiry_period_end: datetime | None
    tender_period_start: datetime
    tender_period_end: datetime
    disclose_bid_count: bool
    evaluation_method: str
    evaluation_criteria: list[StoredCriterion]
    dbe_goal_percent: Decimal | None
    published_at: datetime | None
    opened_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    status: str
    stored_status: str
    bid_count: int | None


@dataclass(frozen=True, slots=True)
class AddendumRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    number: int
    title: str
    description: str
    issued_at: datetime
    issued_by: str
    close_extended_from: datetime | None
    close_extended_to: datetime | None


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    id: uuid.UUID
    solicitation_id: uuid.UUID
    number: int
    question: str
    asked_by_vendor_id: uuid.UUID
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


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
) -> SolicitationRecord | None:
    """`lock="update"` for a change to the solicitation; `"share"` to keep it from changing (a bid)."""
    statement = select_solicitations(now).where(solicitations.c.id == solicitation_id)
    if lock is not None:
        statement = statement.with_for_update(of=solicitations, read=lock == "share")
    row = (await session.execute(statement)).mappings().first()
    return SolicitationRecord(**row) if row is not None else None


async def next_number(session: AsyncSession) -> int:
    number: int = await session.scalar(solicitation_number_sequence.next_value())
    return number


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
) -> tuple[list[SolicitationRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [solicitations.c.id], filters)
    return [SolicitationRecord(**row) for row in rows], token


# Addenda


async def next_addendum_number(session: AsyncSession, solicitation_id: uuid.UUID) -> int:
    """Call with the solicitation locked."""
    return await next_child_number(session, addenda.c.number, addenda.c.solicitation_id == solicitation_id)


async def insert_addendum(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(addenda).values(**values))


async def addenda_of(session: AsyncSession, solicitation_id: uuid.UUID) -> list[AddendumRecord]:
    statement = select(addenda).where(addenda.c.solicitation_id == solicitation_id).order_by(addenda.c.number)
    return [AddendumRecord(**row) for row in (await session.execute(statement)).mappings().all()]


async def addenda_page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[AddendumRecord], str | None]:
    statement = select(addenda).where(addenda.c.solicitation_id == solicitation_id)
    rows, token = await pager.fetch(
        session, statement, [addenda.c.number], {"solicitation_id": solicitation_id}
    )
    return [AddendumRecord(**row) for row in rows], token


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
) -> QuestionRecord | None:
    statement = select(questions).where(
        questions.c.id == question_id, questions.c.solicitation_id == solicitation_id
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return QuestionRecord(**row) if row is not None else None


async def update_question(session: AsyncSession, question_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(questions).where(questions.c.id == question_id).values(**values))


async def questions_page(
    session: AsyncSession, solicitation_id: uuid.UUID, pager: Pager
) -> tuple[list[QuestionRecord], str | None]:
    statement = select(questions).where(questions.c.solicitation_id == solicitation_id)
    rows, token = await pager.fetch(
        session, statement, [questions.c.number], {"solicitation_id": solicitation_id}
    )
    return [QuestionRecord(**row) for row in rows], token
