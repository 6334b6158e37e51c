"""Queries of the vendor registry: SQL in one place, returning typed rows the service turns into contracts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Table, and_, bindparam, delete, exists, false, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.db import CompiledQuery
from services.common.pagination import Pager
from services.vendors.certifications.validity import holds_valid_certification
from services.vendors.contracts import CertificationType, CommodityCode
from services.vendors.registry.models import VendorCommodityRow, VendorRow, vendor_number_sequence

vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
commodities: Table = VendorCommodityRow.__table__  # type: ignore[attr-defined]


# The vendor's JSON columns, as the contract's JSON form wrote them (`Identifier`, `Address`, `Contact`).
# Keys with a default in the contract may be absent from rows loaded without it (the demo data).


class StoredIdentifier(TypedDict):
    scheme: str
    id: str


class StoredAddress(TypedDict):
    kind: NotRequired[str]
    line1: str
    line2: NotRequired[str | None]
    city: str
    region: str
    postal_code: str
    country: NotRequired[str]


class StoredContact(TypedDict):
    role: NotRequired[str]
    name: str
    email: NotRequired[str | None]
    phone: NotRequired[str | None]


@dataclass(frozen=True, slots=True)
class VendorRecord:
    """A vendor as stored, with its commodity codes (`VENDOR_COLUMNS`). JSON columns hold what the
    contract validated on the way in: identifiers, addresses and contacts as objects, codes as
    `{"scheme", "code"}`."""

    id: uuid.UUID
    vendor_number: str
    status: str
    legal_name: str
    normalized_name: str
    search_text: str
    dba_names: list[str]
    entity_type: str
    identifiers: list[StoredIdentifier]
    addresses: list[StoredAddress]
    contacts: list[StoredContact]
    size_class: str | None
    merged_into_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    commodity_codes: list[dict[str, str]]


# The vendor's codes as a JSON array, aggregated in the same query that reads the vendor.
_codes_of_vendor = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object("scheme", commodities.c.scheme, "code", commodities.c.code),
                    commodities.c.scheme,
                    commodities.c.code,
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(commodities.c.vendor_id == vendors.c.id)
    .scalar_subquery()
    .label("commodity_codes")
)

VENDOR_COLUMNS = [*vendors.c, _codes_of_vendor]


def select_vendors() -> Select[Any]:
    return select(*VENDOR_COLUMNS)


_vendor_by_id = select_vendors().where(vendors.c.id == bindparam("vendor_id"))
_get_vendor = CompiledQuery(_vendor_by_id)


async def get(
    session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False
) -> VendorRecord | None:
    if for_update:
        # Through the session, which opens the transaction the row lock must live in.
        statement = _vendor_by_id.with_for_update(of=vendors)
        row = (await session.execute(statement, {"vendor_id": vendor_id})).mappings().first()
    else:
        row = await _get_vendor.fetch_one(session, vendor_id=vendor_id)
    return VendorRecord(**row) if row is not None else None


async def next_vendor_number(session: AsyncSession) -> str:
    number = await session.scalar(vendor_number_sequence.next_value())
    return f"VND-{number:06d}"


async def replace_commodity_codes(
    session: AsyncSession, vendor_id: uuid.UUID, codes: Sequence[CommodityCode]
) -> None:
    await session.execute(delete(commodities).where(commodities.c.vendor_id == vendor_id))
    if codes:
        await session.execute(
            insert(commodities),
            [{"vendor_id": vendor_id, "scheme": c.scheme.value, "code": c.code} for c in codes],
        )


def filter_by_status(statement: Select[Any], statuses: Sequence[str]) -> Select[Any]:
    return statement.where(vendors.c.status.in_(statuses))


def filter_by_name(statement: Select[Any], terms: Sequence[str]) -> Select[Any]:
    """Every term as a word prefix, on the full-text index over normalised names. No terms (a search of
    punctuation or legal suffixes alone) match no name."""
    if not terms:
        return statement.where(false())
    query = " & ".join(f"{term}:*" for term in terms)
    return statement.where(
        func.to_tsvector(literal_column("'simple'"), vendors.c.search_text).op("@@")(
            func.to_tsquery(literal_column("'simple'"), query)
        )
    )


def filter_by_commodity(statement: Select[Any], scheme: str, code_prefix: str) -> Select[Any]:
    """Codes at or below `code_prefix` in the hierarchy (`620-80` matches `620-80-21`)."""
    return statement.where(
        exists().where(
            and_(
                commodities.c.vendor_id == vendors.c.id,
                commodities.c.scheme == scheme,
                commodities.c.code.startswith(code_prefix, autoescape=True),
            )
        )
    )


def filter_by_certification(
    statement: Select[Any], certification_type: CertificationType, as_of: date
) -> Select[Any]:
    return statement.where(holds_valid_certification(vendors.c.id, as_of, certification_type))


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(vendors.c.updated_at >= since)


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[VendorRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [vendors.c.id], filters)
    return [VendorRecord(**row) for row in rows], token


async def vendor_status(
    session: AsyncSession, vendor_id: uuid.UUID, *, share_lock: bool = False
) -> str | None:
    """A vendor's registry status, None for no such vendor. `share_lock` holds it for the transaction, so
    that the vendor cannot be suspended while a bid or commitment that relies on its standing commits."""
    statement = select(vendors.c.status).where(vendors.c.id == vendor_id)
    if share_lock:
        statement = statement.with_for_update(read=True)
    status: str | None = await session.scalar(statement)
    return status
