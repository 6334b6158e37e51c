"""Queries of certifications and certifying agencies: SQL in one place, typed rows out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from services.common.pagination import Pager
from services.vendors.certifications.models import CertifyingAgencyRow
from services.vendors.certifications.validity import certifications
from services.vendors.registry.models import VendorRow

agencies: Table = CertifyingAgencyRow.__table__  # type: ignore[attr-defined]
vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

# What makes two certificates the same one (the table's unique constraint).
IDENTITY = ("vendor_id", "type", "agency_code", "certificate_number")
IDENTITY_CONSTRAINT = "uq_certifications_vendor_id_type_agency_code_certificate_number"


@dataclass(frozen=True, slots=True)
class CertificationRecord:
    """A certificate as stored; its displayed status is derived (validity.displayed_status)."""

    id: uuid.UUID
    vendor_id: uuid.UUID
    type: str
    agency_code: str
    certificate_number: str
    effective_date: date
    expiration_date: date
    status: str
    verified_at: datetime | None
    ended_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CertificationListRecord(CertificationRecord):
    """A certificate with the vendor it belongs to (`select_with_vendor`)."""

    vendor_number: str
    vendor_legal_name: str


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    code: str
    name: str
    jurisdiction: str
    url: str
    certification_types: list[str]


_LIST_COLUMNS = [
    *certifications.c,
    vendors.c.vendor_number,
    vendors.c.legal_name.label("vendor_legal_name"),
]


async def get(
    session: AsyncSession, certification_id: uuid.UUID, *, for_update: bool = False
) -> CertificationRecord | None:
    statement = select(certifications).where(certifications.c.id == certification_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return CertificationRecord(**row) if row is not None else None


async def agency_exists(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(agencies.c.code).where(agencies.c.code == code)) is not None


async def find_same(
    session: AsyncSession, identity: Mapping[str, Any], *, other_than: uuid.UUID | None = None
) -> uuid.UUID | None:
    statement = select(certifications.c.id).where(
        *(certifications.c[name] == identity[name] for name in IDENTITY)
    )
    if other_than is not None:
        statement = statement.where(certifications.c.id != other_than)
    found: uuid.UUID | None = await session.scalar(statement)
    return found


def select_with_vendor() -> Select[Any]:
    return select(*_LIST_COLUMNS).join(vendors, vendors.c.id == certifications.c.vendor_id)


def select_of_vendor(vendor_id: uuid.UUID) -> Select[Any]:
    return select(certifications).where(certifications.c.vendor_id == vendor_id)


async def page(
    session: AsyncSession,
    statement: Select[Any],
    pager: Pager,
    filters: dict[str, Any],
    order_by: Sequence[ColumnElement[Any]],
) -> tuple[list[CertificationRecord], str | None]:
    """`order_by` ends with the id; the page token carries the values of the same columns."""
    rows, token = await pager.fetch(session, statement, order_by, filters)
    return [CertificationRecord(**row) for row in rows], token


async def list_page(
    session: AsyncSession,
    statement: Select[Any],
    pager: Pager,
    filters: dict[str, Any],
    order_by: Sequence[ColumnElement[Any]],
) -> tuple[list[CertificationListRecord], str | None]:
    """`page` of `select_with_vendor`."""
    rows, token = await pager.fetch(session, statement, order_by, filters)
    return [CertificationListRecord(**row) for row in rows], token


async def agencies_page(session: AsyncSession, pager: Pager) -> tuple[list[AgencyRecord], str | None]:
    rows, token = await pager.fetch(session, select(agencies), [agencies.c.code], {})
    return [AgencyRecord(**row) for row in rows], token


def updated_since(since: datetime) -> ColumnElement[bool]:
    return certifications.c.updated_at >= since
