"""The public directory: which vendors it lists, and the few fields of each that it may show."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import city_today
from services.common.pagination import Pager
from services.vendors.contracts import (
    AddressKind,
    CertificationType,
    ContactRole,
    DirectoryCertification,
    DirectoryContact,
    DirectoryEntry,
    DirectoryLocation,
    program_basis,
)
from services.vendors.directory import repository
from services.vendors.directory.repository import DirectoryRecord, ValidCertificate
from services.vendors.registry import repository as registry_repository
from services.vendors.registry.repository import StoredAddress, StoredContact
from services.vendors.registry.service import name_search_terms, parse_commodity_filter

# The contact a firm designates for bid business is the one outreach should reach.
_CONTACT_PREFERENCE = (ContactRole.bids.value, ContactRole.primary.value)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    certification: CertificationType | None,
    commodity: str | None,
    q: str | None,
) -> tuple[list[DirectoryEntry], str | None]:
    today = city_today()
    statement = repository.select_entries(today, certification)
    if commodity is not None:
        scheme, code = parse_commodity_filter(commodity)
        statement = registry_repository.filter_by_commodity(statement, scheme, code)
    if q is not None:
        statement = registry_repository.filter_by_name(statement, name_search_terms(q))
    filters = {"certification": certification, "commodity": commodity, "q": q, "today": today}
    rows, token = await repository.page(session, statement, pager, filters)
    return [to_entry(row) for row in rows], token


def to_entry(row: DirectoryRecord) -> DirectoryEntry:
    """Only the public fields: whatever else the row holds stays here."""
    return DirectoryEntry(
        vendor_id=row.id,
        vendor_number=row.vendor_number,
        legal_name=row.legal_name,
        dba_names=row.dba_names,
        entity_type=row.entity_type,
        size_class=row.size_class,
        location=_location(row.addresses),
        contact=_contact(row.contacts),
        commodity_codes=row.commodity_codes,
        certifications=[_certification(item) for item in row.certifications],
    )


def _location(addresses: list[StoredAddress]) -> DirectoryLocation | None:
    physical = [a for a in addresses if a.get("kind", AddressKind.physical.value) == AddressKind.physical]
    if not physical:
        return None
    address = physical[0]
    return DirectoryLocation(
        city=address["city"], region=address["region"], postal_code=address["postal_code"]
    )


def _contact(contacts: list[StoredContact]) -> DirectoryContact | None:
    for role in _CONTACT_PREFERENCE:
        for contact in contacts:
            if contact.get("role", ContactRole.primary.value) == role:
                return DirectoryContact(
                    name=contact["name"], email=contact.get("email"), phone=contact.get("phone")
                )
    return None


def _certification(item: ValidCertificate) -> DirectoryCertification:
    certification_type = CertificationType(item["type"])
    return DirectoryCertification(**item, program_basis=program_basis(certification_type))
