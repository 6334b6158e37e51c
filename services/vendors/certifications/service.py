"""Rules of certifications. Writes go through the kernel's `TrackedTable` (version, timestamps, audit,
lifecycle); the unit of work commits them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import city_today, utcnow
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.certifications import repository
from services.vendors.certifications.repository import (
    AgencyRecord,
    CertificationListRecord,
    CertificationRecord,
)
from services.vendors.certifications.validity import (
    certifications,
    displayed_status,
    status_condition,
)
from services.vendors.contracts import (
    Certification,
    CertificationCreate,
    CertificationListItem,
    CertificationStatus,
    CertificationTransition,
    CertificationType,
    CertificationUpdate,
    CertifyingAgency,
    VendorStatus,
    program_basis,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.db import audit
from services.vendors.registry import repository as registry

S = CertificationStatus
LIFECYCLE = StateMachine(
    "certification",
    {
        S.pending: {S.verified, S.rejected},
        S.verified: {S.revoked, S.superseded},
        S.rejected: set(),
        S.revoked: set(),
        S.superseded: set(),
    },
)
# Moves that end a verified certificate before its expiration date.
ENDING = {S.revoked, S.superseded}
ENTITY = "certification"
CERTIFICATIONS = TrackedTable(
    certifications, ENTITY, audit, LIFECYCLE, reason_required=frozenset({S.rejected, S.revoked})
)
_STORED = tuple(field.name for field in fields(CertificationRecord))
# What the audit trail shows of a certificate.
_AUDITED = (
    "vendor_id",
    "type",
    "agency_code",
    "certificate_number",
    "effective_date",
    "expiration_date",
    "status",
    "verified_at",
    "ended_on",
)


@dataclass(frozen=True)
class ListFilters:
    certification_type: CertificationType | None = None
    status: CertificationStatus | None = None
    agency_code: str | None = None
    updated_since: datetime | None = None


def to_contract(row: CertificationRecord, today: date) -> Certification:
    return Certification.model_validate(_derived(row, today))


def to_list_item(row: CertificationListRecord, today: date) -> CertificationListItem:
    derived = _derived(row, today)
    derived["vendor_number"] = row.vendor_number
    derived["vendor_legal_name"] = row.vendor_legal_name
    derived["days_until_expiration"] = (row.expiration_date - today).days
    return CertificationListItem.model_validate(derived)


def _derived(row: CertificationRecord, today: date) -> dict[str, Any]:
    derived = {name: getattr(row, name) for name in _STORED}
    derived["program_basis"] = program_basis(CertificationType(row.type))
    derived["status"] = displayed_status(row.status, row.expiration_date, today)
    return derived


async def create(
    session: AsyncSession, vendor_id: uuid.UUID, data: CertificationCreate, actor: Principal
) -> Certification:
    await _require_certifiable_vendor(session, vendor_id)
    await _require_known_agency(session, data.agency_code)
    values = {
        **data.model_dump(mode="python"),
        "type": data.type.value,
        "vendor_id": vendor_id,
        "status": S.pending.value,
    }
    snapshot = _snapshot({**values, "verified_at": None, "ended_on": None})
    try:
        # A savepoint, so that the same certificate recorded meanwhile leaves the transaction usable.
        async with session.begin_nested():
            certification_id = await CERTIFICATIONS.insert(session, values, actor=actor, changes=snapshot)
    except IntegrityError as exc:
        if repository.IDENTITY_CONSTRAINT not in str(exc.orig):
            raise
        raise await _duplicate(session, values) from None
    return await _load(session, certification_id)


async def get(session: AsyncSession, certification_id: uuid.UUID) -> Certification:
    return await _load(session, certification_id)


async def update(
    session: AsyncSession,
    certification_id: uuid.UUID,
    data: CertificationUpdate,
    expected_version: int | None,
    actor: Principal,
) -> Certification:
    row = await _row(session, certification_id, for_update=True)
    check_version(expected_version, row.version)
    if row.status != S.pending:
        raise InvalidTransition(
            "Only a pending certification can be corrected; record the new certificate and supersede "
            "this one instead.",
            current_status=displayed_status(row.status, row.expiration_date, city_today()).value,
            allowed_transitions=LIFECYCLE.allowed(row.status),
        )
    changes = data.model_dump(mode="python", exclude_unset=True)
    if not changes:
        return to_contract(row, city_today())
    if "type" in changes:
        changes["type"] = changes["type"].value
    before = _fields(row)
    merged = {**before, **changes}
    if merged["expiration_date"] <= merged["effective_date"]:
        field = "expiration_date" if "expiration_date" in changes else "effective_date"
        raise _invalid(field, "`expiration_date` must be after `effective_date`.", CROSS_FIELD)
    if "agency_code" in changes:
        await _require_known_agency(session, changes["agency_code"])
    recorded = diff(_snapshot(before), _snapshot(merged))
    await _change_unless_duplicate(session, row, merged, changes, recorded, actor)
    return await _load(session, certification_id)


async def transition(
    session: AsyncSession, certification_id: uuid.UUID, move: CertificationTransition, actor: Principal
) -> Certification:
    row = await _row(session, certification_id, for_update=True)
    if move.to is S.expired:
        raise InvalidTransition(
            "`expired` cannot be set: a verified certification reads as expired once its expiration "
            "date has passed.",
            current_status=row.status,
            allowed_transitions=LIFECYCLE.allowed(row.status),
        )
    values: dict[str, Any] = {}
    if move.to is S.verified:
        values["verified_at"] = utcnow()
    if move.to in ENDING:
        values["ended_on"] = city_today()
    await CERTIFICATIONS.move(
        session,
        certification_id,
        row.version,
        row.status,
        move.to,
        actor=actor,
        reason=move.reason,
        values=values,
    )
    return await _load(session, certification_id)


async def list_of_vendor(
    session: AsyncSession, pager: Pager, vendor_id: uuid.UUID, filters: ListFilters
) -> tuple[list[Certification], str | None]:
    if await registry.vendor_status(session, vendor_id) is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    today = city_today()
    statement = repository.select_of_vendor(vendor_id).where(*_conditions(filters, today))
    rows, token = await repository.page(
        session, statement, pager, {"vendor_id": vendor_id, **_fingerprint(filters)}, [certifications.c.id]
    )
    return [to_contract(row, today) for row in rows], token


async def list_all(
    session: AsyncSession,
    pager: Pager,
    filters: ListFilters,
    *,
    expiring_within_days: int | None,
    include_expired: bool,
) -> tuple[list[CertificationListItem], str | None]:
    """Every certification, by id; or, with `expiring_within_days`, the verified ones that expire within
    that many days and (unless `include_expired` is false) those already expired, soonest first."""
    today = city_today()
    conditions = _conditions(filters, today)
    order_by = [certifications.c.id]
    if expiring_within_days is not None:
        c = certifications.c
        conditions.append(c.status == S.verified.value)
        conditions.append(c.expiration_date <= today + timedelta(days=expiring_within_days))
        if not include_expired:
            conditions.append(c.expiration_date >= today)
        order_by = [c.expiration_date, c.id]
    statement = repository.select_with_vendor().where(*conditions)
    fingerprint = {
        **_fingerprint(filters),
        "expiring_within_days": expiring_within_days,
        "include_expired": include_expired,
        # Windows move with the calendar: a token from yesterday's list does not continue today's.
        "today": today,
    }
    rows, token = await repository.list_page(session, statement, pager, fingerprint, order_by)
    return [to_list_item(row, today) for row in rows], token


async def list_agencies(session: AsyncSession, pager: Pager) -> tuple[list[CertifyingAgency], str | None]:
    rows, token = await repository.agencies_page(session, pager)
    return [to_agency(row) for row in rows], token


def to_agency(row: AgencyRecord) -> CertifyingAgency:
    return CertifyingAgency.model_validate(row, from_attributes=True)


def _conditions(filters: ListFilters, today: date) -> list[Any]:
    conditions: list[Any] = []
    if filters.certification_type is not None:
        conditions.append(certifications.c.type == filters.certification_type.value)
    if filters.status is not None:
        conditions.append(status_condition(filters.status, today))
    if filters.agency_code is not None:
        conditions.append(certifications.c.agency_code == filters.agency_code)
    if filters.updated_since is not None:
        conditions.append(repository.updated_since(filters.updated_since))
    return conditions


def _fingerprint(filters: ListFilters) -> dict[str, Any]:
    return {
        "type": filters.certification_type,
        "status": filters.status,
        "agency_code": filters.agency_code,
        "updated_since": filters.updated_since,
    }


async def _require_certifiable_vendor(session: AsyncSession, vendor_id: uuid.UUID) -> None:
    status = await registry.vendor_status(session, vendor_id)
    if status is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    if status == VendorStatus.merged:
        raise Conflict(f"Vendor {vendor_id} was merged into another; certify the surviving vendor.")


async def _require_known_agency(session: AsyncSession, code: str) -> None:
    if not await repository.agency_exists(session, code):
        raise _invalid(
            "agency_code",
            f"`{code}` is not a certifying agency known to the City; see "
            "`GET /v1/procurement/certifying-agencies`.",
            "unknown_agency",
        )


def _invalid(field: str, message: str, code: str) -> ValidationFailed:
    """A 422 whose `errors[]` points at the body field, as request validation errors do."""
    return ValidationFailed(
        message, errors=[FieldError(location=["body", field], message=message, code=code)]
    )


async def _change_unless_duplicate(
    session: AsyncSession,
    row: CertificationRecord,
    identity: dict[str, Any],
    changes: dict[str, Any],
    recorded: dict[str, Any],
    actor: Principal,
) -> None:
    if await repository.find_same(session, identity, other_than=row.id) is not None:
        raise await _duplicate(session, identity, other_than=row.id)
    try:
        # A savepoint, so that losing a race to a concurrent writer leaves the transaction usable.
        async with session.begin_nested():
            await CERTIFICATIONS.change(session, row.id, row.version, changes, actor=actor, changes=recorded)
    except IntegrityError:
        raise await _duplicate(session, identity, other_than=row.id) from None


async def _duplicate(
    session: AsyncSession, identity: Mapping[str, Any], *, other_than: uuid.UUID | None = None
) -> Conflict:
    existing = await repository.find_same(session, identity, other_than=other_than)
    return Conflict(
        f"The vendor already has {identity['type']} certificate `{identity['certificate_number']}` from "
        f"{identity['agency_code']}.",
        existing_certification_id=str(existing) if existing else None,
    )


async def _row(
    session: AsyncSession, certification_id: uuid.UUID, *, for_update: bool = False
) -> CertificationRecord:
    row = await repository.get(session, certification_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No certification has id {certification_id}.")
    return row


async def _load(session: AsyncSession, certification_id: uuid.UUID) -> Certification:
    return to_contract(await _row(session, certification_id), city_today())


def _fields(row: CertificationRecord) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*repository.IDENTITY, *_AUDITED)}


def _snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit trail shows of a certificate, as JSON."""
    return {name: to_jsonable_python(values[name]) for name in _AUDITED}
