"""SQL of duplicate detection: narrow the registry to a few hundred candidates on indexes.

Each signal is one indexed branch, capped, and the branches are unioned: the same TIN fingerprint (unique
index), shared name words (the full-text index on `search_text`, best ranked first), an address in the
same postal code with the same street number, and a shared email or phone (GIN indexes on the JSON
arrays). Scoring happens in Python on what comes back (scoring.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, cast, func, literal_column, or_, select, union
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.contracts import VendorStatus
from services.vendors.duplicates.scoring import house_number, normalize_phone
from services.vendors.registry.repository import StoredAddress, StoredContact, vendors
from services.vendors.tax.repository import tax_profiles

# Per signal: enough for every real duplicate, few enough to score in milliseconds.
CANDIDATES_PER_SIGNAL = 200
MAX_NAME_WORDS = 16
# Words too common to suggest a duplicate on their own; the rank orders by the rarer ones anyway.
_STOP_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "in", "of", "on", "the"})
_SIMPLE: ColumnElement[str] = literal_column("'simple'")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A vendor a signal found, with what scoring compares and its TIN fingerprint (or None)."""

    id: uuid.UUID
    vendor_number: str
    legal_name: str
    status: str
    dba_names: list[str]
    addresses: list[StoredAddress]
    contacts: list[StoredContact]
    tin_fingerprint: str | None


def _others(vendor_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [vendors.c.id != vendor_id, vendors.c.status != VendorStatus.merged.value]


def by_fingerprint(vendor_id: uuid.UUID, fingerprint: str | None) -> Select[Any] | None:
    if fingerprint is None:
        return None
    return (
        select(vendors.c.id)
        .join(tax_profiles, tax_profiles.c.vendor_id == vendors.c.id)
        .where(tax_profiles.c.tin_fingerprint == fingerprint, *_others(vendor_id))
    )


def by_name_words(vendor_id: uuid.UUID, names: Iterable[str]) -> Select[Any] | None:
    """Vendors sharing any word of the normalised names, those sharing the most (and rarest) first."""
    words = sorted({word for name in names for word in name.split() if word not in _STOP_WORDS})
    if not words:
        return None
    # Normalised names hold word characters only, so quoting each word is a safe tsquery.
    query = func.to_tsquery(_SIMPLE, " | ".join(f"'{word}'" for word in words[:MAX_NAME_WORDS]))
    document = func.to_tsvector(_SIMPLE, vendors.c.search_text)
    return (
        select(vendors.c.id)
        .where(document.op("@@")(query), *_others(vendor_id))
        .order_by(func.ts_rank(document, query).desc(), vendors.c.id)
        .limit(CANDIDATES_PER_SIGNAL)
    )


def by_address(vendor_id: uuid.UUID, addresses: Iterable[StoredAddress]) -> Select[Any] | None:
    """Vendors with an address in the same postal code (as written) and, when the line starts with a
    street number, the same number."""
    conditions = [_same_address(address) for address in addresses]
    if not conditions:
        return None
    return select(vendors.c.id).where(or_(*conditions), *_others(vendor_id)).limit(CANDIDATES_PER_SIGNAL)


def _same_address(address: StoredAddress) -> ColumnElement[bool]:
    postal_code = address["postal_code"]
    in_postal_code = vendors.c.addresses.contains([{"postal_code": postal_code}])
    number = house_number(address["line1"])
    if number is None:
        return in_postal_code
    # `number` is digits and at most one letter (house_number), safe inside the regex literal.
    path = f'$[*] ? (@.postal_code == $postal_code && @.line1 like_regex "^{number}([^0-9a-z]|$)" flag "i")'
    matches = func.jsonb_path_exists(
        vendors.c.addresses, cast(path, JSONPATH), cast({"postal_code": postal_code}, JSONB)
    )
    return in_postal_code & matches


def by_contact(vendor_id: uuid.UUID, contacts: Iterable[StoredContact]) -> Select[Any] | None:
    """Vendors with one of these emails, or one of these phone numbers in any usual way of writing it."""
    conditions: list[ColumnElement[bool]] = []
    for contact in contacts:
        if contact.get("email"):
            conditions.append(vendors.c.contacts.contains([{"email": contact["email"]}]))
        for spelling in phone_spellings(contact.get("phone")):
            conditions.append(vendors.c.contacts.contains([{"phone": spelling}]))
    if not conditions:
        return None
    return select(vendors.c.id).where(or_(*conditions), *_others(vendor_id)).limit(CANDIDATES_PER_SIGNAL)


def phone_spellings(phone: str | None) -> set[str]:
    """The number as given plus the common ways of writing a North American number, so that an exact
    (indexed) match finds `(213) 555-0100` from `+1 213 555 0100`."""
    if not phone:
        return set()
    spellings = {phone}
    digits = normalize_phone(phone)
    if digits is None or not re.fullmatch(r"[0-9]{10}", digits):
        return spellings
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    spaced, dashed, dotted = (
        f"{area} {exchange} {line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
    )
    parenthesised = f"({area}) {exchange}-{line}"
    spellings |= {digits, spaced, dashed, dotted, parenthesised, f"({area}){exchange}-{line}"}
    spellings |= {f"+1 {national}" for national in (spaced, dashed, dotted, parenthesised)}
    spellings |= {f"+1{digits}", f"1{digits}", f"1-{dashed}", f"+1-{dashed}"}
    return spellings


async def candidates(session: AsyncSession, branches: list[Select[Any] | None]) -> list[Candidate]:
    """The candidate vendors of all branches, each once, with their TIN fingerprint (or None)."""
    chosen = [branch for branch in branches if branch is not None]
    if not chosen:
        return []
    ids = union(*chosen).subquery() if len(chosen) > 1 else chosen[0].subquery()
    statement = (
        select(
            vendors.c.id,
            vendors.c.vendor_number,
            vendors.c.legal_name,
            vendors.c.status,
            vendors.c.dba_names,
            vendors.c.addresses,
            vendors.c.contacts,
            tax_profiles.c.tin_fingerprint,
        )
        .outerjoin(tax_profiles, tax_profiles.c.vendor_id == vendors.c.id)
        .where(vendors.c.id.in_(select(ids.c.id)))
    )
    return [Candidate(**row) for row in (await session.execute(statement)).mappings().all()]
