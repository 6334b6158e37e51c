"""Rules of the vendor registry. Writes go through the kernel's `TrackedTable` (version, timestamps, audit,
lifecycle); the unit of work commits them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import city_today
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.stored import FROM_DATABASE
from services.common.transitions import StateMachine
from services.vendors.contracts import (
    COMMODITY_FORMATS,
    CertificationType,
    CommodityScheme,
    Vendor,
    VendorCreate,
    VendorStatus,
    VendorTransition,
    VendorUpdate,
    canonical_commodity_code,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.db import audit
from services.vendors.registry import repository
from services.vendors.registry.names import normalize_name, search_terms
from services.vendors.registry.repository import VendorRecord

S = VendorStatus
LIFECYCLE = StateMachine(
    "vendor",
    {
        S.draft: {S.submitted},
        S.submitted: {S.active, S.draft},
        S.active: {S.suspended, S.debarred, S.inactive},
        S.suspended: {S.active, S.debarred},
        S.inactive: {S.active},
        S.debarred: set(),
        S.merged: set(),
    },
)
# Moves that take a vendor out of good standing must say why.
VENDORS = TrackedTable(
    repository.vendors, "vendor", audit, LIFECYCLE, reason_required=frozenset({S.suspended, S.debarred})
)


def to_contract(row: VendorRecord) -> Vendor:
    return Vendor.model_validate(row, from_attributes=True, context=FROM_DATABASE)


def derived_name_fields(legal_name: str, dba_names: list[str]) -> dict[str, str]:
    """The columns search and duplicate detection read, derived from the names (loaders use it too)."""
    return {
        "normalized_name": normalize_name(legal_name),
        "search_text": " ".join(normalize_name(name) for name in [legal_name, *dba_names]),
    }


async def create(session: AsyncSession, data: VendorCreate, actor: Principal) -> Vendor:
    fields = data.model_dump(mode="json", exclude={"commodity_codes"})
    values = {
        **fields,
        **derived_name_fields(data.legal_name, data.dba_names),
        "vendor_number": await repository.next_vendor_number(session),
        "status": S.draft.value,
    }
    recorded = {
        **data.model_dump(mode="json"),
        "vendor_number": values["vendor_number"],
        "status": S.draft.value,
    }
    vendor_id = await VENDORS.insert(session, values, actor=actor, changes=recorded)
    await repository.replace_commodity_codes(session, vendor_id, data.commodity_codes)
    return await _load(session, vendor_id)


async def get(session: AsyncSession, vendor_id: uuid.UUID) -> Vendor:
    return await _load(session, vendor_id)


async def update(
    session: AsyncSession,
    vendor_id: uuid.UUID,
    data: VendorUpdate,
    expected_version: int | None,
    actor: Principal,
) -> Vendor:
    before = await _load(session, vendor_id, for_update=True)
    check_version(expected_version, before.version)
    if before.status is S.merged:
        raise InvalidTransition(
            f"Vendor {before.vendor_number} was merged into {before.merged_into_id}; change the survivor.",
            current_status=before.status.value,
            allowed_transitions=[],
        )
    changes = data.model_dump(mode="json", exclude_unset=True)
    if not changes:
        return before
    codes = None if data.commodity_codes is MISSING else data.commodity_codes
    changes.pop("commodity_codes", None)
    legal_name = changes.get("legal_name", before.legal_name)
    dba_names = changes.get("dba_names", before.dba_names)
    if codes is not None:
        await repository.replace_commodity_codes(session, vendor_id, codes)
    after_codes = [code.model_dump(mode="json") for code in codes] if codes is not None else None
    recorded = diff(
        _snapshot(before),
        {**_snapshot(before), **changes, **({"commodity_codes": after_codes} if codes is not None else {})},
    )
    await VENDORS.change(
        session,
        vendor_id,
        before.version,
        {**changes, **derived_name_fields(legal_name, dba_names)},
        actor=actor,
        changes=recorded,
    )
    return await _load(session, vendor_id)


async def transition(
    session: AsyncSession, vendor_id: uuid.UUID, move: VendorTransition, actor: Principal
) -> Vendor:
    before = await _load(session, vendor_id, for_update=True)
    if move.to is S.merged:
        raise InvalidTransition(
            "Vendors are merged with `POST /v1/procurement/vendors/{id}/merge`, which names the survivor.",
            current_status=before.status.value,
            allowed_transitions=LIFECYCLE.allowed(before.status),
        )
    await VENDORS.move(
        session, vendor_id, before.version, before.status, move.to, actor=actor, reason=move.reason
    )
    return await _load(session, vendor_id)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    statuses: list[VendorStatus] | None,
    q: str | None,
    commodity: str | None,
    updated_since: datetime | None,
    certification: CertificationType | None = None,
    as_of: date | None = None,
) -> tuple[list[Vendor], str | None]:
    statement = repository.select_vendors()
    if statuses:
        statement = repository.filter_by_status(statement, [s.value for s in statuses])
    if q is not None:
        statement = repository.filter_by_name(statement, name_search_terms(q))
    if commodity is not None:
        scheme, code = parse_commodity_filter(commodity)
        statement = repository.filter_by_commodity(statement, scheme, code)
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    if as_of is not None and certification is None:
        raise ValidationFailed(
            "`as_of` dates the `certification` filter; send both or neither.",
            errors=[
                FieldError(location=["query", "as_of"], message="needs `certification`", code=CROSS_FIELD)
            ],
        )
    if certification is not None:
        as_of = as_of or city_today()
        statement = repository.filter_by_certification(statement, certification, as_of)
    filters = {
        "status": statuses,
        "q": q,
        "commodity": commodity,
        "updated_since": updated_since,
        "certification": certification,
        "as_of": as_of,
    }
    rows, token = await repository.page(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


def name_search_terms(q: str) -> list[str]:
    """The words of a `q` name search; none when only punctuation or legal suffixes were given, which
    then match no vendor (an empty page, not an error: the document cannot tell such a `q` apart)."""
    return search_terms(q)


def parse_commodity_filter(value: str) -> tuple[str, str]:
    """`nigp:620-80` → ("nigp", "620-80"); a code prefix at any level of the scheme's hierarchy."""
    scheme_text, _, code = value.partition(":")
    try:
        scheme = CommodityScheme(scheme_text.strip().lower())
        return scheme.value, canonical_commodity_code(scheme, code)
    except ValueError:
        schemes = ", ".join(s.value for s in COMMODITY_FORMATS)
        raise ValidationFailed(
            f"`commodity` must be `<scheme>:<code>` with a scheme of {schemes} and a code (or code prefix) "
            "valid in it, e.g. `nigp:620-80`.",
            errors=[
                FieldError(location=["query", "commodity"], message="not `<scheme>:<code>`", code="format")
            ],
        ) from None


async def _load(session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False) -> Vendor:
    row = await repository.get(session, vendor_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    return to_contract(row)


def _snapshot(vendor: Vendor) -> dict[str, Any]:
    return vendor.model_dump(mode="json", exclude={"id", "version", "created_at", "updated_at"})
