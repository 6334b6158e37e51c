"""Rules of the vendor registry. Each function is one transaction, committed here, audited here."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.db import new_id, utcnow
from services.common.pagination import Pager
from services.common.problems import BadRequest, InvalidTransition, NotFound, ValidationFailed
from services.common.stored import FROM_DATABASE
from services.common.transitions import StateMachine
from services.vendors.certifications.validity import city_today
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
from services.vendors.db import audit
from services.vendors.registry import repository
from services.vendors.registry.names import normalize_name, search_terms

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
REASON_REQUIRED = {S.suspended, S.debarred}


def to_contract(row: dict[str, Any]) -> Vendor:
    return Vendor.model_validate(row, context=FROM_DATABASE)


def derived_name_fields(legal_name: str, dba_names: list[str]) -> dict[str, str]:
    """The columns search and duplicate detection read, derived from the names (loaders use it too)."""
    return {
        "normalized_name": normalize_name(legal_name),
        "search_text": " ".join(normalize_name(name) for name in [legal_name, *dba_names]),
    }


async def create(session: AsyncSession, data: VendorCreate, actor: Principal) -> Vendor:
    vendor_id = new_id()
    fields = data.model_dump(mode="json", exclude={"commodity_codes"})
    now = utcnow()
    await repository.insert_vendor(
        session,
        {
            **fields,
            **derived_name_fields(data.legal_name, data.dba_names),
            "id": vendor_id,
            "vendor_number": await repository.next_vendor_number(session),
            "status": S.draft.value,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    await repository.replace_commodity_codes(session, vendor_id, data.commodity_codes)
    vendor = await _load(session, vendor_id)
    await audit.record(
        session, actor=actor, action="create", entity="vendor", entity_id=vendor_id, changes=_snapshot(vendor)
    )
    await session.commit()
    return vendor


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
    for field, value in changes.items():
        if value is None and field not in ("size_class",):
            raise ValidationFailed(f"`{field}` cannot be null; leave it out to keep it.")
    if not changes:
        return before
    codes = data.commodity_codes if "commodity_codes" in changes else None
    changes.pop("commodity_codes", None)
    legal_name = changes.get("legal_name", before.legal_name)
    dba_names = changes.get("dba_names", before.dba_names)
    await repository.update_vendor(
        session,
        vendor_id,
        {
            **changes,
            **derived_name_fields(legal_name, dba_names),
            "version": before.version + 1,
            "updated_at": utcnow(),
        },
    )
    if codes is not None:
        await repository.replace_commodity_codes(session, vendor_id, codes)
    after = await _load(session, vendor_id)
    await audit.record(
        session,
        actor=actor,
        action="update",
        entity="vendor",
        entity_id=vendor_id,
        changes=diff(_snapshot(before), _snapshot(after)),
    )
    await session.commit()
    return after


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
    LIFECYCLE.check(before.status, move.to)
    if move.to in REASON_REQUIRED and not move.reason:
        raise ValidationFailed(f"A `reason` is required to move a vendor to `{move.to.value}`.")
    await repository.update_vendor(
        session, vendor_id, {"status": move.to.value, "version": before.version + 1, "updated_at": utcnow()}
    )
    after = await _load(session, vendor_id)
    await audit.record(
        session,
        actor=actor,
        action=f"transition:{move.to.value}",
        entity="vendor",
        entity_id=vendor_id,
        changes={"status": [before.status.value, move.to.value]},
        reason=move.reason,
    )
    await session.commit()
    return after


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
        raise ValidationFailed("`as_of` dates the `certification` filter; send both or neither.")
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
    """The words of a `q` name search (400 when none survive normalisation)."""
    terms = search_terms(q)
    if not terms:
        raise BadRequest("`q` has no searchable words once punctuation and legal suffixes are removed.")
    return terms


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
            "valid in it, e.g. `nigp:620-80`."
        ) from None


async def _load(session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False) -> Vendor:
    row = await repository.get(session, vendor_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    return to_contract(row)


def _snapshot(vendor: Vendor) -> dict[str, Any]:
    return vendor.model_dump(mode="json", exclude={"id", "version", "created_at", "updated_at"})
