"""Queries of payments, and of the vendors and contracts a payment line refers to; typed rows out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.pagination import Pager
from services.vendors.agreements.models import ContractRow
from services.vendors.payments.models import PaymentRow
from services.vendors.registry.models import VendorRow

payments: Table = PaymentRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
contracts: Table = ContractRow.__table__  # type: ignore[attr-defined]

EXTERNAL_REF_CONSTRAINT = "uq_payments_external_ref"


class DuplicateExternalRef(Exception):
    """Another payment already carries this `external_ref`."""


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: uuid.UUID
    vendor_id: uuid.UUID
    prime_vendor_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    department: str
    category_scheme: str
    category_code: str
    amount: Decimal
    currency: str
    paid_date: date
    fiscal_year: int
    tier: str
    external_ref: str | None
    import_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PayeeRecord:
    """What a payment line needs to know of a vendor it names."""

    id: uuid.UUID
    status: str
    vendor_number: str
    merged_into_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class PaidContractRecord:
    """What a payment line needs to know of the contract it is paid against."""

    id: uuid.UUID
    number: str
    vendor_id: uuid.UUID


async def vendors_by_id(
    session: AsyncSession, vendor_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PayeeRecord]:
    statement = select(
        vendors.c.id, vendors.c.status, vendors.c.vendor_number, vendors.c.merged_into_id
    ).where(vendors.c.id.in_(vendor_ids))
    return {row["id"]: PayeeRecord(**row) for row in (await session.execute(statement)).mappings()}


async def contract(session: AsyncSession, contract_id: uuid.UUID) -> PaidContractRecord | None:
    statement = select(contracts.c.id, contracts.c.number, contracts.c.vendor_id).where(
        contracts.c.id == contract_id
    )
    row = (await session.execute(statement)).mappings().first()
    return PaidContractRecord(**row) if row is not None else None


async def insert_payment(session: AsyncSession, values: dict[str, Any]) -> None:
    """Inside a savepoint, so that a concurrent line with the same `external_ref` is a clean refusal."""
    try:
        async with session.begin_nested():
            await session.execute(insert(payments).values(**values))
    except IntegrityError as exc:
        if EXTERNAL_REF_CONSTRAINT not in str(exc.orig):
            raise
        raise DuplicateExternalRef from None


async def by_external_ref(session: AsyncSession, external_ref: str) -> uuid.UUID | None:
    payment_id: uuid.UUID | None = await session.scalar(
        select(payments.c.id).where(payments.c.external_ref == external_ref)
    )
    return payment_id


async def get(session: AsyncSession, payment_id: uuid.UUID) -> PaymentRecord | None:
    row = (await session.execute(select(payments).where(payments.c.id == payment_id))).mappings().first()
    return PaymentRecord(**row) if row is not None else None


def select_payments() -> Select[Any]:
    return select(payments)


def filter_equal(statement: Select[Any], column: str, value: Any) -> Select[Any]:
    return statement.where(payments.c[column] == value)


def filter_in(statement: Select[Any], column: str, values: Sequence[Any]) -> Select[Any]:
    return statement.where(payments.c[column].in_(values))


def filter_paid_between(statement: Select[Any], paid_from: date | None, paid_to: date | None) -> Select[Any]:
    if paid_from is not None:
        statement = statement.where(payments.c.paid_date >= paid_from)
    if paid_to is not None:
        statement = statement.where(payments.c.paid_date <= paid_to)
    return statement


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[PaymentRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [payments.c.id], filters)
    return [PaymentRecord(**row) for row in rows], token
