"""Queries of contracts, amendments and subcontract commitments: SQL in one place, typed rows out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.db import next_child_number
from services.common.pagination import Pager
from services.vendors.agreements.models import (
    AmendmentRow,
    ContractRow,
    SubcontractRow,
    contract_number_sequence,
)
from services.vendors.certifications.validity import holds_valid_certification
from services.vendors.contracts import CertificationType
from services.vendors.registry.models import VendorRow

contracts: Table = ContractRow.__table__  # type: ignore[attr-defined]
amendments: Table = AmendmentRow.__table__  # type: ignore[attr-defined]
subcontracts: Table = SubcontractRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

ONE_CONTRACT_PER_AWARD = "uq_contracts_award_id"


@dataclass(frozen=True, slots=True)
class ContractRecord:
    id: uuid.UUID
    number: str
    award_id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    department: str
    title: str
    status: str
    original_value_amount: Decimal
    value_amount: Decimal
    currency: str
    period_start: date
    period_end: date
    signed_date: date | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AmendmentRecord:
    id: uuid.UUID
    contract_id: uuid.UUID
    number: int
    description: str
    value_change_amount: Decimal
    new_period_end: date | None
    effective_date: date
    made_by: str
    made_at: datetime


@dataclass(frozen=True, slots=True)
class SubcontractRecord:
    id: uuid.UUID
    contract_id: uuid.UUID
    sub_vendor_id: uuid.UUID
    certification_type: str | None
    amount: Decimal
    committed_date: date
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


async def next_number(session: AsyncSession) -> int:
    number: int = await session.scalar(contract_number_sequence.next_value())
    return number


async def contract_of_award(session: AsyncSession, award_id: uuid.UUID) -> uuid.UUID | None:
    contract_id: uuid.UUID | None = await session.scalar(
        select(contracts.c.id).where(contracts.c.award_id == award_id)
    )
    return contract_id


async def get_contract(
    session: AsyncSession, contract_id: uuid.UUID, *, for_update: bool = False
) -> ContractRecord | None:
    statement = select(contracts).where(contracts.c.id == contract_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return ContractRecord(**row) if row is not None else None


def select_contracts() -> Select[Any]:
    return select(contracts)


def filter_contracts(statement: Select[Any], column: str, values: list[Any]) -> Select[Any]:
    return statement.where(contracts.c[column].in_(values))


def contracts_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(contracts.c.updated_at >= since)


async def contracts_page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[ContractRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [contracts.c.id], filters)
    return [ContractRecord(**row) for row in rows], token


# Amendments


async def next_amendment_number(session: AsyncSession, contract_id: uuid.UUID) -> int:
    """Call with the contract locked."""
    return await next_child_number(session, amendments.c.number, amendments.c.contract_id == contract_id)


async def insert_amendment(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(amendments).values(**values))


async def get_amendment(
    session: AsyncSession, contract_id: uuid.UUID, amendment_id: uuid.UUID
) -> AmendmentRecord | None:
    statement = select(amendments).where(
        amendments.c.id == amendment_id, amendments.c.contract_id == contract_id
    )
    row = (await session.execute(statement)).mappings().first()
    return AmendmentRecord(**row) if row is not None else None


async def amendments_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[AmendmentRecord], str | None]:
    statement = select(amendments).where(amendments.c.contract_id == contract_id)
    rows, token = await pager.fetch(session, statement, [amendments.c.number], {"contract_id": contract_id})
    return [AmendmentRecord(**row) for row in rows], token


# Subcontract commitments


async def get_subcontract(
    session: AsyncSession, contract_id: uuid.UUID, subcontract_id: uuid.UUID, *, for_update: bool = False
) -> SubcontractRecord | None:
    statement = select(subcontracts).where(
        subcontracts.c.id == subcontract_id, subcontracts.c.contract_id == contract_id
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return SubcontractRecord(**row) if row is not None else None


async def committed_total(session: AsyncSession, contract_id: uuid.UUID) -> Decimal:
    total: Decimal | None = await session.scalar(
        select(func.coalesce(func.sum(subcontracts.c.amount), 0)).where(
            subcontracts.c.contract_id == contract_id, subcontracts.c.status == "committed"
        )
    )
    return Decimal(total or 0)


async def subcontracts_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[SubcontractRecord], str | None]:
    statement = select(subcontracts).where(subcontracts.c.contract_id == contract_id)
    rows, token = await pager.fetch(session, statement, [subcontracts.c.id], {"contract_id": contract_id})
    return [SubcontractRecord(**row) for row in rows], token


async def holds_certification(
    session: AsyncSession, vendor_id: uuid.UUID, day: date, certification_type: CertificationType
) -> bool:
    held: bool | None = await session.scalar(
        select(holds_valid_certification(vendors.c.id, day, certification_type)).where(
            vendors.c.id == vendor_id
        )
    )
    return bool(held)
