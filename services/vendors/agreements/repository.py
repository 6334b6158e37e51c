"""Queries of contracts, amendments and subcontract commitments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.db import next_child_number
from services.common.pagination import Pager
from services.common.problems import Conflict
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


async def next_number(session: AsyncSession) -> int:
    number: int = await session.scalar(contract_number_sequence.next_value())
    return number


async def contract_of_award(session: AsyncSession, award_id: uuid.UUID) -> uuid.UUID | None:
    contract_id: uuid.UUID | None = await session.scalar(
        select(contracts.c.id).where(contracts.c.award_id == award_id)
    )
    return contract_id


async def insert_contract(session: AsyncSession, values: dict[str, Any]) -> None:
    """In a savepoint: a concurrent second contract for one award is a 409, not a 500."""
    try:
        async with session.begin_nested():
            await session.execute(insert(contracts).values(**values))
    except IntegrityError as exc:
        if ONE_CONTRACT_PER_AWARD not in str(exc.orig):
            raise
        raise Conflict("This award already has a contract.") from None


async def get_contract(
    session: AsyncSession, contract_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(contracts).where(contracts.c.id == contract_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def update_contract(session: AsyncSession, contract_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(contracts).where(contracts.c.id == contract_id).values(**values))


def select_contracts() -> Select[Any]:
    return select(contracts)


def filter_contracts(statement: Select[Any], column: str, values: list[Any]) -> Select[Any]:
    return statement.where(contracts.c[column].in_(values))


def contracts_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(contracts.c.updated_at >= since)


async def contracts_page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    return await pager.fetch(session, statement, [contracts.c.id], filters)


# Amendments


async def next_amendment_number(session: AsyncSession, contract_id: uuid.UUID) -> int:
    """Call with the contract locked."""
    return await next_child_number(session, amendments.c.number, amendments.c.contract_id == contract_id)


async def insert_amendment(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(amendments).values(**values))


async def get_amendment(
    session: AsyncSession, contract_id: uuid.UUID, amendment_id: uuid.UUID
) -> dict[str, Any] | None:
    statement = select(amendments).where(
        amendments.c.id == amendment_id, amendments.c.contract_id == contract_id
    )
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def amendments_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(amendments).where(amendments.c.contract_id == contract_id)
    return await pager.fetch(session, statement, [amendments.c.number], {"contract_id": contract_id})


# Subcontract commitments


async def insert_subcontract(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(subcontracts).values(**values))


async def get_subcontract(
    session: AsyncSession, contract_id: uuid.UUID, subcontract_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    statement = select(subcontracts).where(
        subcontracts.c.id == subcontract_id, subcontracts.c.contract_id == contract_id
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def update_subcontract(
    session: AsyncSession, subcontract_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(update(subcontracts).where(subcontracts.c.id == subcontract_id).values(**values))


async def committed_total(session: AsyncSession, contract_id: uuid.UUID) -> Decimal:
    total: Decimal | None = await session.scalar(
        select(func.coalesce(func.sum(subcontracts.c.amount), 0)).where(
            subcontracts.c.contract_id == contract_id, subcontracts.c.status == "committed"
        )
    )
    return Decimal(total or 0)


async def subcontracts_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[dict[str, Any]], str | None]:
    statement = select(subcontracts).where(subcontracts.c.contract_id == contract_id)
    return await pager.fetch(session, statement, [subcontracts.c.id], {"contract_id": contract_id})


async def holds_certification(
    session: AsyncSession, vendor_id: uuid.UUID, day: date, certification_type: CertificationType
) -> bool:
    held: bool | None = await session.scalar(
        select(holds_valid_certification(vendors.c.id, day, certification_type)).where(
            vendors.c.id == vendor_id
        )
    )
    return bool(held)
