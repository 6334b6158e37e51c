"""The directory's one query: active vendors with a certification valid today, their valid certificates
and codes aggregated in the same statement (no query per vendor)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import Table, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnClause

from services.common.pagination import Pager
from services.vendors.certifications.models import CertifyingAgencyRow
from services.vendors.certifications.validity import certifications, holds_valid_certification, valid_on
from services.vendors.contracts import CertificationType, VendorStatus
from services.vendors.registry.models import VendorCommodityRow, VendorRow
from services.vendors.registry.repository import StoredAddress, StoredContact

vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
commodities: Table = VendorCommodityRow.__table__  # type: ignore[attr-defined]
agencies: Table = CertifyingAgencyRow.__table__  # type: ignore[attr-defined]

_EMPTY_JSON_ARRAY: ColumnClause[Any] = literal_column("'[]'::json")


class ValidCertificate(TypedDict):
    """A certificate valid today, as `_valid_certificates` builds it in JSON (dates as ISO strings)."""

    type: str
    agency_code: str
    agency_name: str
    certificate_number: str
    effective_date: str
    expiration_date: str


@dataclass(frozen=True, slots=True)
class DirectoryRecord:
    """A listed vendor (`select_entries`): more than the directory may show, which the service picks from.
    `certifications` are the certificates valid today, as JSON objects."""

    id: uuid.UUID
    vendor_number: str
    legal_name: str
    dba_names: list[str]
    entity_type: str
    size_class: str | None
    addresses: list[StoredAddress]
    contacts: list[StoredContact]
    commodity_codes: list[dict[str, str]]
    certifications: list[ValidCertificate]


def _valid_certificates(today: date) -> Any:
    c = certifications.c
    certificate = func.json_build_object(
        "type", c.type,
        "agency_code", c.agency_code,
        "agency_name", agencies.c.name,
        "certificate_number", c.certificate_number,
        "effective_date", c.effective_date,
        "expiration_date", c.expiration_date,
    )  # fmt: skip
    return (
        select(func.coalesce(func.json_agg(aggregate_order_by(certificate, c.type, c.id)), _EMPTY_JSON_ARRAY))
        .select_from(certifications.join(agencies, agencies.c.code == c.agency_code))
        .where(c.vendor_id == vendors.c.id, valid_on(today))
        .scalar_subquery()
        .label("certifications")
    )


_codes = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object("scheme", commodities.c.scheme, "code", commodities.c.code),
                    commodities.c.scheme,
                    commodities.c.code,
                )
            ),
            _EMPTY_JSON_ARRAY,
        )
    )
    .where(commodities.c.vendor_id == vendors.c.id)
    .scalar_subquery()
    .label("commodity_codes")
)


def select_entries(today: date, certification_type: CertificationType | None) -> Select[Any]:
    v = vendors.c
    return select(
        v.id,
        v.vendor_number,
        v.legal_name,
        v.dba_names,
        v.entity_type,
        v.size_class,
        v.addresses,
        v.contacts,
        _codes,
        _valid_certificates(today),
    ).where(
        v.status == VendorStatus.active.value,
        holds_valid_certification(v.id, today, certification_type),
    )


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[DirectoryRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [vendors.c.id], filters)
    return [DirectoryRecord(**row) for row in rows], token
