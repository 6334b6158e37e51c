"""The SQL of the OCDS publication: the index of releases, and each process's rows in a few queries.

Releases are not stored: each one is a dated change that the procurement tables already record
(publication, an addendum, the opening, an award, a contract, an amendment, a payment…). `events`
lists them as rows of (date, release id, solicitation, kind, entity, detail) in one UNION ALL, which
the feed pages through by (date, release id) and a record filters by solicitation. Only published
solicitations have events; awards, contracts and payments count only once the bids are opened.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Date,
    String,
    Subquery,
    Table,
    Uuid,
    and_,
    column,
    func,
    literal,
    null,
    select,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from services.common.pagination import Pager
from services.vendors.agreements.models import AmendmentRow, ContractRow
from services.vendors.agreements.repository import AmendmentRecord, ContractRecord
from services.vendors.awards.models import AwardRow
from services.vendors.bids.models import BidRow
from services.vendors.certifications.models import CertifyingAgencyRow
from services.vendors.certifications.validity import certifications, valid_on
from services.vendors.payments.models import PaymentRow
from services.vendors.registry.models import VendorRow
from services.vendors.solicitations.models import AddendumRow, SolicitationRow
from services.vendors.solicitations.repository import AddendumRecord, StoredItem

solicitations: Table = SolicitationRow.__table__  # type: ignore[attr-defined]
addenda: Table = AddendumRow.__table__  # type: ignore[attr-defined]
bids: Table = BidRow.__table__  # type: ignore[attr-defined]
awards: Table = AwardRow.__table__  # type: ignore[attr-defined]
contracts: Table = ContractRow.__table__  # type: ignore[attr-defined]
amendments: Table = AmendmentRow.__table__  # type: ignore[attr-defined]
payments: Table = PaymentRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
agencies: Table = CertifyingAgencyRow.__table__  # type: ignore[attr-defined]

# Solicitation statuses that end the tender; the release is dated by the last change of the row,
# which for these final statuses is the move itself.
FINAL_STATUSES = ("cancelled", "unsuccessful", "awarded")
# Payments to the prime: the City's spending on the contract. Sub-tier lines are the prime's payments
# to its subcontractors, already inside the prime's, so they are not the contract's transactions.
PRIME = "prime"

s = solicitations.c

Record = TypeVar("Record")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A release, as `events` lists it: `entity_id` names the addendum, award, contract, amendment or
    payment it is about (None for the tender, the opening and the end); `detail` is the end's status."""

    date: datetime
    release_id: str
    solicitation_id: uuid.UUID
    kind: str
    entity_id: uuid.UUID | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class ProcessSolicitationRecord:
    """The solicitation's columns its releases publish."""

    id: uuid.UUID
    ocid: str
    reference: str
    title: str
    description: str | None
    type: str
    main_category: str
    buyer_department: str
    estimated_value_amount: Decimal | None
    estimated_value_currency: str | None
    items: list[StoredItem]
    enquiry_period_start: datetime | None
    enquiry_period_end: datetime | None
    tender_period_start: datetime
    tender_period_end: datetime
    disclose_bid_count: bool
    opened_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessBidRecord:
    """A bid with its vendor: what is known in clear (the opened prices only after the opening)."""

    id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    status: str
    submitted_at: datetime
    created_at: datetime
    withdrawn_at: datetime | None
    opened_total_amount: Decimal | None
    opened_total_currency: str | None
    vendor_name: str
    vendor_number: str


@dataclass(frozen=True, slots=True)
class ProcessAwardRecord:
    """An award with its vendor."""

    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    vendor_id: uuid.UUID
    status: str
    amount: Decimal
    currency: str
    intent_notified_at: datetime
    vendor_name: str
    vendor_number: str


@dataclass(frozen=True, slots=True)
class ProcessPaymentRecord:
    """A payment to the prime, with its vendor."""

    id: uuid.UUID
    contract_id: uuid.UUID
    vendor_id: uuid.UUID
    department: str
    amount: Decimal
    currency: str
    paid_date: date
    created_at: datetime
    vendor_name: str
    vendor_number: str


@dataclass(frozen=True, slots=True)
class FirstPaymentRecord:
    """When a department first paid a vendor through a contract."""

    contract_id: uuid.UUID
    vendor_id: uuid.UUID
    department: str
    first_at: datetime
    vendor_name: str
    vendor_number: str


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A certification a vendor held on a day, with its certifying agency."""

    vendor_id: uuid.UUID
    day: date
    type: str
    certificate_number: str
    expiration_date: date
    agency_name: str
    agency_url: str


def _text(value: ColumnElement[Any]) -> ColumnElement[str]:
    return func.cast(value, String)


def _event(
    when: ColumnElement[datetime],
    release_id: ColumnElement[str],
    kind: str,
    entity_id: ColumnElement[Any] | None = None,
    detail: ColumnElement[Any] | None = None,
) -> Select[Any]:
    return select(
        when.label("date"),
        release_id.label("release_id"),
        s.id.label("solicitation_id"),
        literal(kind, String).label("kind"),
        (entity_id if entity_id is not None else null()).cast(Uuid).label("entity_id"),
        (detail if detail is not None else null()).cast(String).label("detail"),
    )


def _published(statement: Select[Any]) -> Select[Any]:
    return statement.where(s.published_at.is_not(None))


def _opened(statement: Select[Any]) -> Select[Any]:
    return statement.where(s.opened_at.is_not(None))


def events() -> Subquery:
    """Every release there is, as one row each."""
    a, c, m, p = awards.c, contracts.c, amendments.c, payments.c
    tender = _published(_event(s.published_at, s.ocid + "-tender", "tender").select_from(solicitations))
    addendum = _published(
        _event(
            addenda.c.issued_at,
            s.ocid + "-addendum-" + _text(addenda.c.number),
            "addendum",
            addenda.c.id,
        ).select_from(solicitations.join(addenda, addenda.c.solicitation_id == s.id))
    )
    opening = _opened(_published(_event(s.opened_at, s.ocid + "-opening", "opening")))
    ended = _published(_event(s.updated_at, s.ocid + "-" + s.status, "ended", detail=s.status)).where(
        s.status.in_(FINAL_STATUSES)
    )
    award_of = solicitations.join(awards, a.solicitation_id == s.id)
    award = _opened(_published(_event(a.intent_notified_at, s.ocid + "-award-" + _text(a.id), "award", a.id)))
    award_update = _opened(
        _published(
            _event(a.updated_at, s.ocid + "-award-" + _text(a.id) + "-" + a.status, "award_update", a.id)
        )
    ).where(a.status != "intent")
    contract_of = solicitations.join(contracts, c.solicitation_id == s.id)
    contract_id = s.ocid + "-contract-" + _text(c.id)
    contract = _opened(_published(_event(c.created_at, contract_id, "contract", c.id)))
    contract_update = _opened(
        _published(_event(c.updated_at, contract_id + "-v" + _text(c.version), "contract_update", c.id))
    ).where(c.version > 1, c.updated_at > c.created_at)
    amendment = _opened(
        _published(_event(m.made_at, contract_id + "-amendment-" + _text(m.number), "amendment", m.id))
    )
    payment = _opened(
        _published(_event(p.created_at, s.ocid + "-payment-" + _text(p.id), "payment", p.id))
    ).where(p.tier == PRIME)
    return tender.union_all(
        addendum,
        opening.select_from(solicitations),
        ended.select_from(solicitations),
        award.select_from(award_of),
        award_update.select_from(award_of),
        contract.select_from(contract_of),
        contract_update.select_from(contract_of),
        amendment.select_from(contract_of.join(amendments, m.contract_id == c.id)),
        payment.select_from(contract_of.join(payments, p.contract_id == c.id)),
    ).subquery("events")


async def events_page(
    session: AsyncSession, pager: Pager, since: datetime | None
) -> tuple[list[EventRecord], str | None]:
    """Releases in publication order, (date, release id) as the keyset; `since` excludes its instant."""
    index = events()
    statement = select(index)
    if since is not None:
        statement = statement.where(index.c.date > since)
    rows, token = await pager.fetch(session, statement, [index.c.date, index.c.release_id], {"since": since})
    return [EventRecord(**row) for row in rows], token


async def events_of(session: AsyncSession, solicitation_id: uuid.UUID) -> list[EventRecord]:
    index = events()
    statement = (
        select(index)
        .where(index.c.solicitation_id == solicitation_id)
        .order_by(index.c.date, index.c.release_id)
    )
    return await _rows(session, statement, EventRecord)


async def published_by_ocid(session: AsyncSession, ocid: str) -> uuid.UUID | None:
    """Drafts have an ocid too, but no public record."""
    solicitation_id: uuid.UUID | None = await session.scalar(
        select(s.id).where(s.ocid == ocid, s.published_at.is_not(None))
    )
    return solicitation_id


async def _rows(session: AsyncSession, statement: Select[Any], record: Callable[..., Record]) -> list[Record]:
    return [record(**row) for row in (await session.execute(statement)).mappings().all()]


# Each record's own columns, selected by its fields' names.
_SOLICITATION_COLUMNS = [s[field.name] for field in fields(ProcessSolicitationRecord)]


async def solicitations_by_id(
    session: AsyncSession, solicitation_ids: Collection[uuid.UUID]
) -> list[ProcessSolicitationRecord]:
    statement = select(*_SOLICITATION_COLUMNS).where(s.id.in_(solicitation_ids))
    return await _rows(session, statement, ProcessSolicitationRecord)


async def addenda_of(session: AsyncSession, solicitation_ids: Collection[uuid.UUID]) -> list[AddendumRecord]:
    statement = (
        select(addenda)
        .where(addenda.c.solicitation_id.in_(solicitation_ids))
        .order_by(addenda.c.solicitation_id, addenda.c.number)
    )
    return await _rows(session, statement, AddendumRecord)


async def bids_of(session: AsyncSession, solicitation_ids: Collection[uuid.UUID]) -> list[ProcessBidRecord]:
    """Bids with their vendors. The sealed payload is never read: only what is known in clear (the
    opened prices exist only after the opening) and the dates that count bids."""
    b = bids.c
    statement = (
        select(
            b.id,
            b.solicitation_id,
            b.vendor_id,
            b.status,
            b.submitted_at,
            b.created_at,
            b.withdrawn_at,
            b.opened_total_amount,
            b.opened_total_currency,
            vendors.c.legal_name.label("vendor_name"),
            vendors.c.vendor_number,
        )
        .join(vendors, vendors.c.id == b.vendor_id)
        .where(b.solicitation_id.in_(solicitation_ids))
        .order_by(b.solicitation_id, b.id)
    )
    return await _rows(session, statement, ProcessBidRecord)


# The vendor's name and number, the last two fields of the records that carry them.
_VENDOR_NAMES = (vendors.c.legal_name.label("vendor_name"), vendors.c.vendor_number)
_AWARD_COLUMNS = [awards.c[field.name] for field in fields(ProcessAwardRecord)[:-2]]


async def awards_of(
    session: AsyncSession, solicitation_ids: Collection[uuid.UUID]
) -> list[ProcessAwardRecord]:
    statement = (
        select(*_AWARD_COLUMNS, *_VENDOR_NAMES)
        .join(vendors, vendors.c.id == awards.c.vendor_id)
        .where(awards.c.solicitation_id.in_(solicitation_ids))
        .order_by(awards.c.solicitation_id, awards.c.intent_notified_at, awards.c.id)
    )
    return await _rows(session, statement, ProcessAwardRecord)


async def contracts_of(
    session: AsyncSession, solicitation_ids: Collection[uuid.UUID]
) -> list[ContractRecord]:
    statement = (
        select(contracts)
        .where(contracts.c.solicitation_id.in_(solicitation_ids))
        .order_by(contracts.c.solicitation_id, contracts.c.created_at, contracts.c.id)
    )
    return await _rows(session, statement, ContractRecord)


async def amendments_of(session: AsyncSession, contract_ids: Collection[uuid.UUID]) -> list[AmendmentRecord]:
    statement = (
        select(amendments)
        .where(amendments.c.contract_id.in_(contract_ids))
        .order_by(amendments.c.contract_id, amendments.c.number)
    )
    return await _rows(session, statement, AmendmentRecord)


_PAYMENT_COLUMNS = [payments.c[field.name] for field in fields(ProcessPaymentRecord)[:-2]]


def _prime_payments() -> Select[Any]:
    return (
        select(*_PAYMENT_COLUMNS, *_VENDOR_NAMES)
        .join(vendors, vendors.c.id == payments.c.vendor_id)
        .where(payments.c.tier == PRIME)
    )


async def payments_by_id(
    session: AsyncSession, payment_ids: Collection[uuid.UUID]
) -> list[ProcessPaymentRecord]:
    return await _rows(session, _prime_payments().where(payments.c.id.in_(payment_ids)), ProcessPaymentRecord)


async def payments_of(
    session: AsyncSession, contract_ids: Collection[uuid.UUID]
) -> list[ProcessPaymentRecord]:
    statement = (
        _prime_payments()
        .where(payments.c.contract_id.in_(contract_ids))
        .order_by(payments.c.created_at, payments.c.id)
    )
    return await _rows(session, statement, ProcessPaymentRecord)


async def first_payments(
    session: AsyncSession, contract_ids: Collection[uuid.UUID]
) -> list[FirstPaymentRecord]:
    """When each payer and payee was first paid through each contract: from then on they have the role,
    without every payment being read."""
    p = payments.c
    statement = (
        select(
            p.contract_id,
            p.vendor_id,
            p.department,
            func.min(p.created_at).label("first_at"),
            vendors.c.legal_name.label("vendor_name"),
            vendors.c.vendor_number,
        )
        .join(vendors, vendors.c.id == p.vendor_id)
        .where(p.contract_id.in_(contract_ids), p.tier == PRIME)
        .group_by(p.contract_id, p.vendor_id, p.department, vendors.c.legal_name, vendors.c.vendor_number)
    )
    return await _rows(session, statement, FirstPaymentRecord)


async def certifications_on(
    session: AsyncSession, asked: Iterable[tuple[uuid.UUID, date]]
) -> list[CertificateRecord]:
    """The certifications each (vendor, day) holds, by the shared "valid on a date" rule, in one query."""
    pairs = sorted(set(asked))
    if not pairs:
        return []
    days = values(column("vendor_id", Uuid), column("day", Date), name="asked").data(pairs)
    c = certifications.c
    statement = (
        select(
            days.c.vendor_id,
            days.c.day,
            c.type,
            c.certificate_number,
            c.expiration_date,
            agencies.c.name.label("agency_name"),
            agencies.c.url.label("agency_url"),
        )
        .select_from(days.join(certifications, c.vendor_id == days.c.vendor_id))
        .join(agencies, agencies.c.code == c.agency_code)
        # The rule composes with a column of days as it does with one day.
        .where(and_(valid_on(cast(date, days.c.day))))
        .order_by(days.c.vendor_id, days.c.day, c.type, c.id)
    )
    return await _rows(session, statement, CertificateRecord)
